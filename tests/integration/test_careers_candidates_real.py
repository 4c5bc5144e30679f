"""Candidates on the composed app against real PostgreSQL and Redis: the record
and its history in the PostgreSQL view, simultaneous assessments each recorded once
and numbered in order, bad input storing nothing, the career record erased with the
account."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from adapters.bootstrap import Container
from adapters.http.app import create_app
from adapters.settings import Settings
from commands.careers.process_manager import PROCESS_MANAGER
from projections.careers.candidates import CANDIDATES_PROJECTION, CandidateReader
from tests.support.careers_candidates import ASSESSMENT, PROFILE
from tests.support.identity import assert_problem, sign_in

pytestmark = pytest.mark.real_services


@pytest.fixture
def client(
    postgres_url: str, postgres_schema: str, redis_url: str
) -> Iterator[TestClient]:
    settings = Settings(
        postgres_url=postgres_url, postgres_schema=postgres_schema, redis_url=redis_url
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def container_of(client: TestClient) -> Container:
    built: Container = client.app.state.container  # type: ignore[attr-defined]
    return built


def test_the_career_record_on_postgres(client: TestClient) -> None:
    ada = sign_in(client, roles=("CANDIDATE",))
    saved = client.put("/me/career-profile", headers=ada.headers, json=PROFILE)
    assert saved.status_code == 200, saved.text
    done = client.post("/me/assessments", headers=ada.headers, json=ASSESSMENT)
    assert done.status_code == 201, done.text
    after = {"after": done.json()["consistency_token"]}

    record = client.get("/me/career-profile", headers=ada.headers, params=after)
    assert record.status_code == 200, record.text
    body = record.json()
    # No mentor has a profile here: assessed, and waiting for one.
    assert (body["status"], body["onboarding"]) == ("WAITING_FOR_MENTOR", "COMPLETE")
    assert body["profile"]["achievements"] == ["Employee of the month"]
    assert [b["kind"] for b in body["badges"]] == ["assessment_completed"]
    history = client.get("/me/assessments", headers=ada.headers, params=after)
    [latest] = history.json()["items"]
    assert latest["needs"]["resume_writing"]["text"] == "My resume is ten years old."
    assert latest["languages"] == ["en", "es"]

    # Check the account's erasure erases the career record on PostgreSQL too.
    erased = client.delete("/me", headers=ada.headers)
    assert erased.status_code == 200, erased.text
    engine = container_of(client).engine
    _, position = erased.json()["consistency_token"].split(":")
    assert engine.wait_for("identity", int(position), [PROCESS_MANAGER], 30) == 0
    head = engine.head("careers")
    assert engine.wait_for("careers", head, [CANDIDATES_PROJECTION], 30) == 0
    reader = CandidateReader(container_of(client).views)
    assert reader.get(ada.user_id) is None
    assert reader.latest_assessment(ada.user_id) is None


def test_simultaneous_assessments_are_each_recorded_once(client: TestClient) -> None:
    ada = sign_in(client, roles=("CANDIDATE",))
    runners = 6
    start = threading.Barrier(runners)
    statuses: list[int] = []
    tokens: list[str] = []

    def complete(level: str) -> None:
        start.wait()
        response: httpx.Response = client.post(
            "/me/assessments",
            headers=ada.headers,
            json={**ASSESSMENT, "needs": {"child_care": {"level": level}}},
        )
        statuses.append(response.status_code)
        if response.status_code == 201:
            tokens.append(response.json()["consistency_token"])

    threads = [
        threading.Thread(target=complete, args=("urgent" if i % 2 else "some",))
        for i in range(runners)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201] * runners

    # Check each is in the history once, numbered 1..6, and the badge came once.
    last = max(tokens, key=lambda t: int(t.split(":")[1]))
    after = {"after": last}
    history = client.get(
        "/me/assessments", headers=ada.headers, params={**after, "limit": 100}
    )
    numbers = [a["number"] for a in history.json()["items"]]
    assert numbers == list(range(runners, 0, -1))
    record = client.get("/me/career-profile", headers=ada.headers, params=after)
    assert [b["kind"] for b in record.json()["badges"]] == ["assessment_completed"]
    assert record.json()["engagement"]["assessments_taken"] == runners


def test_bad_input_stores_nothing_on_postgres(client: TestClient) -> None:
    ada = sign_in(client, roles=("CANDIDATE",))
    engine = container_of(client).engine
    before = engine.head("careers")
    for body, field in (
        ({**ASSESSMENT, "needs": {"astrology": {"level": "some"}}}, "needs.astrology"),
        (
            {**ASSESSMENT, "needs": {"child_care": {"level": "severe"}}},
            "needs.child_care.level",
        ),
        (
            {**ASSESSMENT, "availability": "x" * 10_000_000},
            "availability",
        ),
    ):
        refused = client.post("/me/assessments", headers=ada.headers, json=body)
        problem = assert_problem(refused, 422)
        assert [e["field"] for e in problem["errors"]] == [field]
    assert engine.head("careers") == before
    assert_problem(client.get("/me/career-profile", headers=ada.headers), 404)
