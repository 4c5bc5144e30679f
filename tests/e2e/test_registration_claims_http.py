"""``POST /npos`` refuses a registration id another live NPO holds (409), naming
that NPO only to its members; deleting an NPO or changing its id frees the old one.

On the embedded backend (``make run``'s: SQLite event store and views): over HTTP,
concurrent creations through the dispatcher, and the operator's backfill for NPOs
recorded before ids were claimed. The same on PostgreSQL is in
``tests/integration/test_registration_claims_real.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from adapters.bootstrap import Container, build_container
from adapters.cli.main import cli
from adapters.http.app import create_app
from adapters.settings import Settings
from commands.onboarding.application import OnboardingApplication
from domain.base import acting_as
from domain.onboarding.npo import Npo
from tests.support.identity import SignedIn
from tests.support.onboarding import create_at_once, npo_profile, npo_user, profile
from tests.support.onboarding_http import OnboardingClient

PROBLEM_JSON = "application/problem+json"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[OnboardingClient]:
    container: Container = build_container(
        Settings(event_store="sqlite", data_dir=tmp_path)
    )
    try:
        with TestClient(create_app(container=container)) as client:
            yield OnboardingClient.start(client, container, "root@example.org")
    finally:
        container.close()


def post_npo(world: OnboardingClient, who: SignedIn, body: dict[str, Any]) -> Any:
    return world.client.post("/npos", json=body, headers=who.headers)


def my_npos(world: OnboardingClient, who: SignedIn, token: str) -> list[str]:
    page = world.ok(world.client.get(f"/me/npos?after={token}", headers=who.headers))
    return [item["id"] for item in page["items"]]


def test_the_same_npo_posted_twice_is_created_once(world: OnboardingClient) -> None:
    owner = world.user("NPO")
    body = profile(name="Helping Hands", registration_id="EIN-12-3456789")
    first = post_npo(world, owner, body)
    assert first.status_code == 201, first.text
    npo_id = first.json()["ids"][0]

    again = post_npo(world, owner, body)

    # Check the second is a conflict, naming the NPO its creator already has.
    assert again.status_code == 409, again.text
    assert again.headers["content-type"] == PROBLEM_JSON
    problem = again.json()
    assert (problem["status"], problem["title"]) == (409, "Conflict")
    assert problem["npo_id"] == npo_id
    assert problem["errors"] == [
        {"field": "registration_id", "reason": "is already registered"}
    ]
    # Check the creator has one NPO.
    assert my_npos(world, owner, first.json()["consistency_token"]) == [npo_id]


def test_only_members_are_told_which_npo_holds_the_id(
    world: OnboardingClient,
) -> None:
    owner, colleague, stranger = (world.user("NPO") for _ in range(3))
    npo_id = world.npo(owner, registration_id="CH-0001234")
    world.ok(
        world.client.put(
            f"/npos/{npo_id}/members/{colleague.user_id}", headers=owner.headers
        )
    )

    # Check a member, spelling it differently, is sent to the NPO.
    to_member = post_npo(world, colleague, profile(registration_id="ch 0001234"))
    assert to_member.status_code == 409, to_member.text
    assert to_member.json()["npo_id"] == npo_id

    # Check an outsider learns that it is registered, and nothing of which NPO.
    to_stranger = post_npo(world, stranger, profile(registration_id="CH0001234"))
    assert to_stranger.status_code == 409, to_stranger.text
    assert to_stranger.headers["content-type"] == PROBLEM_JSON
    assert "npo_id" not in to_stranger.json()
    assert npo_id not in to_stranger.text
    assert "already registered" in to_stranger.json()["detail"]


def test_deleting_an_npo_frees_its_registration_id(world: OnboardingClient) -> None:
    npo_id = world.npo(world.user("NPO"), registration_id="EIN-99-0000001")
    deleted = world.client.request(
        "DELETE",
        f"/npos/{npo_id}",
        json={"reason": "Registered twice by mistake."},
        headers=world.admin.headers,
    )
    world.ok(deleted)

    again = post_npo(
        world, world.user("NPO"), profile(registration_id="EIN-99-0000001")
    )
    assert again.status_code == 201, again.text
    third = post_npo(
        world, world.user("NPO"), profile(registration_id="EIN-99-0000001")
    )
    assert third.status_code == 409, third.text


def test_changing_the_registration_id_moves_it(world: OnboardingClient) -> None:
    owner, other = world.user("NPO"), world.user("NPO")
    npo_id = world.npo(owner, registration_id="OLD-0001")
    other_id = world.npo(other, registration_id="OTHER-0001")
    changed = world.client.put(
        f"/npos/{npo_id}",
        json=profile(registration_id="NEW-0001"),
        headers=owner.headers,
    )
    world.ok(changed)

    # Check the old id is free, the new one taken, and the other NPO cannot move to
    # it (and is not told which NPO has it).
    freed = post_npo(world, world.user("NPO"), profile(registration_id="old-0001"))
    assert freed.status_code == 201, freed.text
    taken = post_npo(world, world.user("NPO"), profile(registration_id="NEW-0001"))
    assert taken.status_code == 409, taken.text
    moved = world.client.put(
        f"/npos/{other_id}",
        json=profile(registration_id="new 0001"),
        headers=other.headers,
    )
    assert moved.status_code == 409, moved.text
    assert npo_id not in moved.text


def test_concurrent_creations_with_one_id_make_one_npo(
    world: OnboardingClient,
) -> None:
    onboarding = world.container.application(OnboardingApplication)
    spellings = ["EIN-55-0000001", "ein 55 0000001", "EIN550000001"]
    outcome = create_at_once(
        [onboarding],
        [world.container.dispatcher.dispatch],
        [(npo_user(), profile(registration_id=spellings[i % 3])) for i in range(12)],
    )

    # Check all twelve decided on a store where nobody held the id and the event
    # store turned away all saves but one; decided again, they were refused.
    assert outcome.stale_writes == 11, outcome
    assert len(outcome.created) == 1, outcome
    assert len(outcome.refused) == 11, outcome
    assert outcome.failed == [], outcome
    # Check the log holds one NPO, which holds the id.
    assert outcome.registered(onboarding) == outcome.created
    assert outcome.holder(onboarding, "EIN-55-0000001") == outcome.created[0]


def test_the_operator_claims_the_ids_of_npos_recorded_before(tmp_path: Path) -> None:
    settings = Settings(event_store="sqlite", data_dir=tmp_path)
    container = build_container(settings)
    owners = [npo_user() for _ in range(2)]
    try:
        # Two NPOs with one id, saved as the code before claims saved them.
        legacy = []
        for owner in owners:
            with acting_as(owner.user_id, "before"):
                legacy.append(
                    Npo.register(
                        owner.user_id,
                        owner.roles,
                        npo_profile(registration_id="EIN-44-0000001"),
                    )
                )
        container.application(OnboardingApplication).save(*legacy)
    finally:
        container.close()
    env = {"SPOTLIGHT_DATA_DIR": str(tmp_path), "SPOTLIGHT_EVENT_STORE": "sqlite"}

    ran = CliRunner().invoke(cli, ["maintenance", "claim-registration-ids"], env=env)

    # Check the older one claimed it and the other is reported by id.
    assert ran.exit_code == 0, ran.output
    assert "registration ids claimed now: 1" in ran.output
    assert f"duplicate: {legacy[1].id}" in ran.output
    with TestClient(create_app(settings)) as client:
        world = OnboardingClient.start(client, client.app.state.container, "r@x.org")  # type: ignore[attr-defined]
        refused = post_npo(
            world, world.user("NPO"), profile(registration_id="EIN-44-0000001")
        )
        assert refused.status_code == 409, refused.text
