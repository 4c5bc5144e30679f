"""Candidates over HTTP on the embedded stores: the career profile, assessments and
their history, badges and engagement; who sees a candidate; bad input refused naming
the field with nothing stored; DELETE /me erasing the career record too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from adapters.bootstrap import Container, build_container
from adapters.http.app import create_app
from adapters.settings import Settings
from commands.base import Actor
from commands.careers.process_manager import PROCESS_MANAGER
from commands.identity.messages import BootstrapAdmin
from projections.careers.candidates import CANDIDATES_PROJECTION
from tests.support.careers_candidates import ASSESSMENT, PROFILE
from tests.support.identity import SignedIn, assert_problem, sign_in


class World:
    def __init__(self, client: TestClient, container: Container) -> None:
        self.client = client
        self.container = container
        email = "root@example.org"
        container.dispatcher.dispatch(
            BootstrapAdmin(actor=Actor.system("careers"), email=email)
        )
        self.admin = sign_in(client, email)

    def candidate(self) -> SignedIn:
        return sign_in(self.client, roles=("CANDIDATE",))

    def granted(self, role: str) -> SignedIn:
        user = sign_in(self.client)
        granted = self.client.put(
            f"/users/{user.user_id}/roles/{role}", headers=self.admin.headers
        )
        assert granted.status_code == 200, granted.text
        # Wait until the user cache knows the role.
        self.client.get(
            "/me",
            headers=user.headers,
            params={"after": granted.json()["consistency_token"]},
        )
        return user

    def careers_head(self) -> int:
        return self.container.engine.head("careers")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    container = build_container(Settings(event_store="popo", data_dir=tmp_path))
    try:
        with TestClient(create_app(container=container)) as client:
            yield World(client, container)
    finally:
        container.close()


def test_the_candidate_keeps_a_profile_and_a_history_of_assessments(
    world: World,
) -> None:
    client = world.client
    ada = world.candidate()
    missing = client.get("/me/career-profile", headers=ada.headers)
    assert_problem(missing, 404)

    saved = client.put("/me/career-profile", headers=ada.headers, json=PROFILE)
    assert saved.status_code == 200, saved.text
    assert saved.json()["ids"] == [ada.user_id]
    token = saved.json()["consistency_token"]
    assert token.startswith("careers:")
    record = client.get(
        "/me/career-profile", headers=ada.headers, params={"after": token}
    )
    assert record.status_code == 200, record.text
    body = record.json()
    assert body["status"] == "REGISTERED"
    assert body["onboarding"] == "PENDING"
    assert body["visibility"] == "mentors"
    assert body["profile"]["skills"] == ["SQL", "Customer service"]
    assert body["profile"]["education"][0]["end_year"] is None
    assert body["profile"]["work_history"][0]["description"] == "Ran the tills."
    assert body["badges"] == []
    assert body["engagement"]["profile_updates"] == 1

    # Check a completed assessment completes onboarding and earns a badge; a
    # retake joins the history, newest first.
    first = client.post("/me/assessments", headers=ada.headers, json=ASSESSMENT)
    assert first.status_code == 201, first.text
    retake = client.post(
        "/me/assessments",
        headers=ada.headers,
        json={**ASSESSMENT, "preferred_format": "in_person"},
    )
    assert retake.status_code == 201, retake.text
    after = {"after": retake.json()["consistency_token"]}
    record = client.get("/me/career-profile", headers=ada.headers, params=after)
    body = record.json()
    # No mentor has a profile here: assessed, and waiting for one.
    assert (body["status"], body["onboarding"]) == ("WAITING_FOR_MENTOR", "COMPLETE")
    assert [b["kind"] for b in body["badges"]] == ["assessment_completed"]
    assert body["engagement"]["assessments_taken"] == 2
    assert body["engagement"]["days_active"] == 1
    history = client.get(
        "/me/assessments", headers=ada.headers, params={**after, "limit": 1}
    )
    assert history.status_code == 200, history.text
    page = history.json()
    assert [a["number"] for a in page["items"]] == [2]
    assert page["items"][0]["preferred_format"] == "in_person"
    assert page["items"][0]["most_urgent"] == ["resume_writing"]
    assert page["items"][0]["needs"]["child_care"] == {"level": "none", "text": None}
    older = client.get(
        "/me/assessments",
        headers=ada.headers,
        params={"cursor": page["next_cursor"], "limit": 1},
    ).json()
    assert [a["number"] for a in older["items"]] == [1]
    assert older["next_cursor"] is None


@pytest.mark.parametrize(
    ("route", "body", "status", "field"),
    [
        (
            "/me/assessments",
            {**ASSESSMENT, "needs": {"astrology": {"level": "urgent"}}},
            422,
            "needs.astrology",
        ),
        (
            "/me/assessments",
            {**ASSESSMENT, "needs": {"child_care": {"level": "extreme"}}},
            422,
            "needs.child_care.level",
        ),
        (
            "/me/assessments",
            {**ASSESSMENT, "needs": {"child_care": {"level": 7}}},
            422,
            "needs.child_care.level",
        ),
        (
            "/me/assessments",
            {
                **ASSESSMENT,
                "needs": {"child_care": {"level": "some", "text": "x" * 10_000_000}},
            },
            422,
            "needs.child_care.text",
        ),
        ("/me/assessments", {**ASSESSMENT, "country": "USA"}, 422, "country"),
        (
            "/me/career-profile",
            {**PROFILE, "summary": "x" * 10_000_000},
            422,
            "summary",
        ),
        ("/me/career-profile", {**PROFILE, "links": ["javascript:x"]}, 422, "links[0]"),
        (
            "/me/career-profile",
            {**PROFILE, "work_history": [{"employer": "Shop", "title": "a\u202eb"}]},
            422,
            "work_history[0].title",
        ),
        (
            "/me/career-profile",
            {
                **PROFILE,
                "education": [
                    {"institution": "College", "start_year": 2020, "end_year": 2010}
                ],
            },
            422,
            "education[0].end_year",
        ),
        (
            "/me/career-profile",
            {**PROFILE, "visibility": "everyone"},
            422,
            "visibility",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(
    world: World, route: str, body: dict[str, Any], status: int, field: str
) -> None:
    ada = world.candidate()
    before = world.careers_head()
    method = world.client.post if route == "/me/assessments" else world.client.put
    refused = method(route, headers=ada.headers, json=body)
    problem = assert_problem(refused, status)
    assert field in [e["field"] for e in problem["errors"]], problem["errors"]
    assert world.careers_head() == before
    assert_problem(world.client.get("/me/career-profile", headers=ada.headers), 404)


def test_who_sees_a_candidate(world: World) -> None:
    client = world.client
    ada = world.candidate()
    saved = client.put("/me/career-profile", headers=ada.headers, json=PROFILE)
    after = {"after": saved.json()["consistency_token"]}

    # Check an admin sees the candidate.
    seen = client.get(
        f"/candidates/{ada.user_id}", headers=world.admin.headers, params=after
    )
    assert seen.status_code == 200, seen.text
    assert seen.json()["profile"]["headline"] == "Aspiring data analyst"
    assert seen.json()["latest_assessment"] is None

    # Check a mentor who is not theirs is told there is no such candidate, and
    # that candidates and NPOs may not look candidates up at all.
    mentor = world.granted("CAREER_MENTOR")
    assert_problem(
        client.get(f"/candidates/{ada.user_id}", headers=mentor.headers), 404
    )
    bob = world.candidate()
    assert_problem(client.get(f"/candidates/{ada.user_id}", headers=bob.headers), 403)
    npo = sign_in(client, roles=("NPO",))
    assert_problem(client.get(f"/candidates/{ada.user_id}", headers=npo.headers), 403)
    assert_problem(client.get("/me/career-profile", headers=npo.headers), 403)

    # Check a candidate reads only their own record: Bob has none.
    assert_problem(client.get("/me/career-profile", headers=bob.headers), 404)
    assert client.get("/me/assessments", headers=bob.headers).json() == {
        "items": [],
        "next_cursor": None,
    }
    # Check an unknown candidate is 404 for an admin too.
    assert_problem(
        client.get(f"/candidates/{mentor.user_id}", headers=world.admin.headers), 404
    )


def test_deleting_the_account_erases_the_career_record(world: World) -> None:
    client = world.client
    ada = world.candidate()
    client.put("/me/career-profile", headers=ada.headers, json=PROFILE)
    done = client.post("/me/assessments", headers=ada.headers, json=ASSESSMENT)
    after = {"after": done.json()["consistency_token"]}
    seen = client.get(
        f"/candidates/{ada.user_id}", headers=world.admin.headers, params=after
    )
    assert seen.status_code == 200, seen.text

    erased = client.delete("/me", headers=ada.headers)
    assert erased.status_code == 200, erased.text
    # Wait for the careers process manager to react, then for the view.
    engine = world.container.engine
    _, position = erased.json()["consistency_token"].split(":")
    assert engine.wait_for("identity", int(position), [PROCESS_MANAGER], 10) == 0
    head = world.careers_head()
    assert engine.wait_for("careers", head, [CANDIDATES_PROJECTION], 10) == 0

    gone = client.get(
        f"/candidates/{ada.user_id}",
        headers=world.admin.headers,
        params={"after": f"careers:{head}"},
    )
    assert_problem(gone, 404)
