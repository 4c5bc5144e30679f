"""Old events still load after their schema changes (``class_version`` + upcasters)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from uuid import uuid4

import pytest

from commands.onboarding.application import OnboardingApplication
from domain.onboarding.npo import Npo
from domain.onboarding.offering import Offering
from domain.onboarding.resource import accepted_key, legacy_key


@pytest.fixture
def app() -> Iterator[OnboardingApplication]:
    onboarding = OnboardingApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield onboarding
    onboarding.close()


def test_a_v1_verified_event_loads_with_its_registration_id_not_recorded(
    app: OnboardingApplication,
) -> None:
    fields: dict[str, Any] = {
        "originator_id": uuid4(),
        "originator_version": 4,
        "timestamp": Npo.Verified.create_timestamp(),
        "actor_id": "leader-1",
        "correlation_id": "c-1",
        "leader_id": "leader-1",
        "registration_id": "EIN-12-3456789",
    }
    current = Npo.Verified(**fields)
    stored = app.mapper.to_stored_event(current)
    # Check the current version is what gets written.
    state = app.mapper.transcoder.decode(stored.state)
    assert state["class_version"] == 2
    assert state["registration_id"] == "EIN-12-3456789"

    # Write the event as version 1 did: no class_version, no registration_id.
    del state["class_version"], state["registration_id"]
    old = replace(stored, state=app.mapper.transcoder.encode(state))

    loaded = app.mapper.to_domain_event(old)

    assert isinstance(loaded, Npo.Verified)
    assert loaded.leader_id == "leader-1"
    assert loaded.registration_id is None
    assert loaded.actor_id == "leader-1"


def test_a_v1_attached_event_loads_with_the_key_it_was_uploaded_to(
    app: OnboardingApplication,
) -> None:
    offering_id, resource_id = uuid4(), uuid4().hex
    fields: dict[str, Any] = {
        "originator_id": offering_id,
        "originator_version": 3,
        "timestamp": Offering.ResourceAttached.create_timestamp(),
        "actor_id": "npo-1",
        "correlation_id": "c-1",
        "resource_id": resource_id,
        "content_type": "application/pdf",
        "size": 125,
        "sha256": "79" * 32,
        "key": accepted_key(offering_id, resource_id, "a1"),
    }
    stored = app.mapper.to_stored_event(Offering.ResourceAttached(**fields))
    # Check the current version is what gets written.
    state = app.mapper.transcoder.decode(stored.state)
    assert state["class_version"] == 2
    assert state["key"] == accepted_key(offering_id, resource_id, "a1")

    # Write the event as version 1 did: no class_version, no key (the bytes stayed
    # where they were uploaded).
    del state["class_version"], state["key"]
    old = replace(stored, state=app.mapper.transcoder.encode(state))

    loaded = app.mapper.to_domain_event(old)

    assert isinstance(loaded, Offering.ResourceAttached)
    assert loaded.key == legacy_key(offering_id, resource_id)
    assert loaded.key == f"offerings/{offering_id}/resources/{resource_id}"
    assert (loaded.resource_id, loaded.size, loaded.sha256) == (
        resource_id,
        125,
        "79" * 32,
    )
