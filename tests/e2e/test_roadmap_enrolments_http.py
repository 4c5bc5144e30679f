"""An NPO's enrolments and engagement report over HTTP (NP5, NP6), on the composed
embedded app: candidates enrol in a published offering of an approved NPO through
their roadmaps; the NPO sees them by name or pseudonym, their progress, and an
engagement report whose feedback score shows only from three ratings on."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from adapters.bootstrap import build_container
from adapters.http.app import create_app
from adapters.settings import Settings
from tests.support.candidate_story import Story
from tests.support.careers_candidates import PROFILE
from tests.support.identity import SignedIn, assert_problem, sign_in
from tests.support.onboarding import offering
from tests.support.roadmap_http import Mentee
from tests.support.search_http import approved_npo


@pytest.fixture
def story(tmp_path: Path) -> Iterator[Story]:
    container = build_container(Settings(event_store="popo", data_dir=tmp_path))
    try:
        with TestClient(create_app(container=container)) as client:
            yield Story.start(client, container, "root@example.org")
    finally:
        container.close()


def enrolled(story: Story, mentor: SignedIn, offering_id: str, **name: str) -> Mentee:
    """A candidate of ``mentor`` whose request of the offering was approved."""
    candidate = sign_in(story.client, roles=("CANDIDATE",), **name)
    token = story.mentoring.complete(candidate, ["resume_writing"])
    assert candidate.user_id in [
        m["candidate_id"] for m in story.get("/me/mentees", mentor, token)
    ]
    mentee = Mentee(story.mentoring, candidate, mentor)
    mentee.approve(mentee.request({"offering_id": offering_id}))
    return mentee


def rate(mentee: Mentee, item_id: str, rating: int) -> str:
    rated = mentee.world.ok(
        mentee.call(
            "PUT",
            "/me/roadmap/feedback",
            mentee.candidate,
            {"rating": 3, "comment": "Private words", "items": {item_id: rating}},
        )
    )
    token: str = rated["consistency_token"]
    return token


def item_of(mentee: Mentee) -> str:
    (item_id,) = mentee.roadmap().items
    return item_id


def test_an_npo_sees_its_enrolments_and_engagement(story: Story) -> None:
    onboarding = story.onboarding
    mentor = story.mentor(["resume_writing"])
    leader = onboarding.leader()
    onboarding.community(story.admin, ["resume-writing"], leader)
    npo = approved_npo(onboarding, leader, [offering()], name="Bridgeway")
    (clinic,) = npo.offering_ids

    # Ada lets NPOs see her profile; the others do not.
    ada = enrolled(story, mentor, clinic, given_name="Ada", family_name="Lovelace")
    story.ok(
        story.client.put(
            "/me/career-profile",
            json={**PROFILE, "visibility": "npos"},
            headers=ada.candidate.headers,
        )
    )
    bo, cy, di = (enrolled(story, mentor, clinic) for _ in range(3))
    newcomer = sign_in(story.client, roles=("CANDIDATE",))
    waiting = Mentee(story.mentoring, newcomer, mentor)
    story.mentoring.complete(waiting.candidate, ["resume_writing"])

    # Ada completes both modules, Bo completes by hand, Cy does one, Di withdraws.
    ada.mark(item_of(ada), "m1", ada.candidate)
    ada.mark(item_of(ada), "m2", ada.candidate)
    story.ok(bo.call("POST", f"{bo.base}/items/{item_of(bo)}/complete", bo.candidate))
    cy.mark(item_of(cy), "m1", mentor)
    token = story.ok(
        di.call("POST", f"{di.base}/items/{item_of(di)}/withdraw", di.candidate)
    )["consistency_token"]
    # A request not approved yet is no enrolment.
    waiting.request({"offering_id": clinic})

    # Check the NPO's owner sees each enrolment, Ada by name, the others by a
    # stable pseudonym, with the item's status and progress.
    page = story.get(f"/npos/{npo.npo_id}/enrolments", npo.owner, token)
    assert page["next_cursor"] is None
    rows = {r["item_id"]: r for r in page["items"]}
    assert len(rows) == 4
    seen = [rows[item_of(who)] for who in (ada, bo, cy, di)]
    assert (seen[0]["name"], seen[0]["pseudonym"]) == ("Ada Lovelace", None)
    for row in seen[1:]:
        assert row["name"] is None
        assert re.fullmatch(r"Candidate [0-9A-F]{8}", row["pseudonym"])
    assert len({row["pseudonym"] for row in seen[1:]}) == 3
    assert [(row["status"], row["percent"]) for row in seen] == [
        ("COMPLETED", 100.0),
        ("COMPLETED", 100.0),
        ("IN_PROGRESS", 50.0),
        ("WITHDRAWN", 0.0),
    ]
    assert seen[3]["withdrawn_at"] is not None
    assert {r["offering_id"] for r in rows.values()} == {clinic}
    # ... the same pseudonyms on the next read, and for an admin, page by page.
    pages: list[Any] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        read = story.get(f"/npos/{npo.npo_id}/enrolments", story.admin, **params)
        pages.append(read)
        cursor = read["next_cursor"]
        if cursor is None:
            break
    assert [len(p["items"]) for p in pages] == [3, 1]
    assert [r for p in pages for r in p["items"]] == page["items"]

    # Check the engagement report: no score from two ratings.
    rate(ada, item_of(ada), 5)
    token = rate(bo, item_of(bo), 4)
    report = story.get(f"/npos/{npo.npo_id}/engagement", npo.owner, token)
    (row,) = report["offerings"]
    assert row == {
        "offering_id": clinic,
        "enrolled": 4,
        "not_started": 0,
        "in_progress": 1,
        "completed": 2,
        "withdrawn": 1,
        "median_days_to_complete": 0.0,
        "feedback": None,
    }
    # ... the third rating shows the mean and the count, never a comment.
    cy.mark(item_of(cy), "m2", cy.candidate)
    token = rate(cy, item_of(cy), 3)
    report = story.get(f"/npos/{npo.npo_id}/engagement", npo.owner, token)
    (row,) = report["offerings"]
    assert row["feedback"] == {"mean": 4.0, "count": 3}
    assert (row["completed"], row["in_progress"]) == (3, 0)
    assert "Private words" not in str(report)


def test_only_the_npo_members_and_admins_see_them(story: Story) -> None:
    onboarding = story.onboarding
    leader = onboarding.leader()
    onboarding.community(story.admin, ["resume-writing"], leader)
    npo = approved_npo(onboarding, leader, [offering()], name="Bridgeway")
    other_owner = onboarding.user("NPO")
    other = onboarding.npo(other_owner)
    mentor = story.mentor(["resume_writing"])
    for path in (f"/npos/{npo.npo_id}/enrolments", f"/npos/{npo.npo_id}/engagement"):
        # Check another NPO's member is told there is no such NPO.
        assert_problem(story.client.get(path, headers=other_owner.headers), 404)
        # ... mentors and candidates may not ask.
        assert_problem(story.client.get(path, headers=mentor.headers), 403)
        story.get(path, story.admin)
        story.get(path, npo.owner)
    # Check the other NPO's own (empty) lists, and an NPO that does not exist.
    assert story.get(f"/npos/{other}/enrolments", other_owner)["items"] == []
    assert story.get(f"/npos/{other}/engagement", other_owner)["offerings"] == []
    missing = "00000000-0000-4000-8000-000000000000"
    assert_problem(
        story.client.get(f"/npos/{missing}/enrolments", headers=story.admin.headers),
        404,
    )
