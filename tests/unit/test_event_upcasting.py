"""Old events still load after their schema changes (``class_version`` + upcasters)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from uuid import uuid4

import pytest

from commands.onboarding.application import OnboardingApplication
from domain.onboarding.npo import Npo


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
