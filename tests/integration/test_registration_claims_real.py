"""A registration id identifies one NPO on real PostgreSQL, however many creations
race for it: the event store's uniqueness decides, never a read.

Four application instances, each with its own connection pool, stand for four API
processes. The same over HTTP on the embedded backend is in
``tests/e2e/test_registration_claims_http.py``.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from adapters.bootstrap import Container, build_container
from adapters.http.app import create_app
from adapters.postgres.database import eventsourcing_environment
from adapters.settings import Settings
from commands.onboarding.application import OnboardingApplication
from tests.support.identity import SignedIn, sign_in
from tests.support.onboarding import (
    Creations,
    Onboarding,
    create_at_once,
    npo_user,
    profile,
)
from tests.support.onboarding_http import fresh_database

PROCESSES = 4
CREATIONS = 24


@pytest.fixture
def apps(
    postgres_url: str, postgres_schema: str
) -> Iterator[list[OnboardingApplication]]:
    env = eventsourcing_environment(postgres_url, pool_size=8, max_overflow=4)
    env["POSTGRES_SCHEMA"] = postgres_schema
    made = [OnboardingApplication(env=env) for _ in range(PROCESSES)]
    yield made
    for app in made:
        app.close()


def test_creations_racing_for_one_id_in_four_processes_make_one_npo(
    apps: list[OnboardingApplication],
) -> None:
    processes = [Onboarding(app) for app in apps]
    spellings = ["EIN-12-3456789", "ein 12 3456789", "EIN123456789", " Ein-12-3456789"]
    outcome = create_at_once(
        apps,
        [process.send for process in processes],
        [
            (
                npo_user(),
                profile(name="Helping Hands", registration_id=spellings[i % 4]),
            )
            for i in range(CREATIONS)
        ],
    )

    # Check every creation decided on a store where nobody held the id, and the
    # event store turned away every save but one.
    assert outcome.stale_writes == CREATIONS - 1, outcome
    # Check exactly one NPO was created; decided again, the others were refused
    # (naming no NPO: none of their owners is a member).
    assert len(outcome.created) == 1, outcome
    assert outcome.failed == [], outcome
    assert len(outcome.refused) == CREATIONS - 1
    assert {refusal.npo_id for refusal in outcome.refused} == {None}
    app = apps[0]
    assert Creations.registered(app) == outcome.created
    assert Creations.holder(app, "EIN-12-3456789") == outcome.created[0]


@pytest.fixture
def client(tmp_path: Path, postgres_url: str) -> Iterator[TestClient]:
    with fresh_database(postgres_url) as database_url:
        container: Container = build_container(
            Settings(data_dir=tmp_path, postgres_url=database_url)
        )
        try:
            with TestClient(create_app(container=container)) as made:
                yield made
        finally:
            container.close()


def test_the_same_npo_posted_at_once_over_http_is_created_once(
    client: TestClient,
) -> None:
    owners: list[SignedIn] = [sign_in(client, roles=("NPO",)) for _ in range(8)]
    body = profile(name="Helping Hands", registration_id="EIN-12-3456789")
    start = threading.Barrier(len(owners))
    answers: dict[int, Any] = {}

    def post(index: int) -> None:
        start.wait()
        answers[index] = client.post("/npos", json=body, headers=owners[index].headers)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(owners))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    # Check one 201 and seven 409 problem documents, none naming the NPO.
    statuses = Counter(a.status_code for a in answers.values())
    assert statuses == {201: 1, 409: 7}, [a.text for a in answers.values()]
    winner = next(i for i, a in answers.items() if a.status_code == 201)
    npo_id = answers[winner].json()["ids"][0]
    for index, refused in answers.items():
        if index != winner:
            assert refused.headers["content-type"] == "application/problem+json"
            assert npo_id not in refused.text
    container: Container = client.app.state.container  # type: ignore[attr-defined]
    assert Creations.registered(container.application(OnboardingApplication)) == [
        npo_id
    ]

    # Check the creator, posting it once more, is sent to the NPO they have.
    again = client.post("/npos", json=body, headers=owners[winner].headers)
    assert again.status_code == 409, again.text
    assert again.json()["npo_id"] == npo_id
