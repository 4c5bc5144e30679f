"""The candidate story over HTTP on the composed embedded app: every context at once.

An admin; a career mentor with a profile and working hours; an NPO with offerings,
verified by its community leader and approved by the admin. A candidate signs up,
fills their career profile, completes an assessment and is assigned the mentor (the
intro on both calendars), finds an offering despite a typo, reads recommendations
with reasons and the mentor's suggestion first; an offering taken down leaves the
search and the recommendations at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from adapters.bootstrap import build_container
from adapters.http.app import create_app
from adapters.settings import Settings
from tests.support.candidate_story import INTERVIEW_SUITS, RESUME_WRITING, Story
from tests.support.careers_candidates import PROFILE
from tests.support.mentoring import assessment_body
from tests.support.search_http import approved_npo, ids, search


@pytest.fixture
def story(tmp_path: Path) -> Iterator[Story]:
    container = build_container(Settings(event_store="popo", data_dir=tmp_path))
    try:
        with TestClient(create_app(container=container)) as client:
            yield Story.start(client, container, "root@example.org")
    finally:
        container.close()


def test_the_candidate_story(story: Story) -> None:
    client, onboarding = story.client, story.onboarding
    mentor = story.mentor(["resume_writing"])
    leader = onboarding.leader()
    onboarding.community(story.admin, ["resume-writing"], leader)
    npo = approved_npo(
        onboarding, leader, [RESUME_WRITING, INTERVIEW_SUITS], name="Bridgeway"
    )
    resume_id, suits_id = npo.offering_ids

    # The candidate signs up and fills their career profile.
    candidate = onboarding.user("CANDIDATE")
    saved = story.ok(
        client.put("/me/career-profile", json=PROFILE, headers=candidate.headers)
    )
    story.working_hours(candidate)
    record = story.get("/me/career-profile", candidate, saved["consistency_token"])
    assert (record["status"], record["mentor_id"]) == ("REGISTERED", None)

    # Check completing an assessment assigns the mentor covering the urgent need.
    assessed = story.ok(
        client.post(
            "/me/assessments",
            json=assessment_body(["resume_writing"]),
            headers=candidate.headers,
        ),
        201,
    )
    token = assessed["consistency_token"]
    record = story.get("/me/career-profile", candidate, token)
    assert (record["status"], record["mentor_id"]) == ("MENTORED", mentor.user_id)
    mentees = story.get("/me/mentees", mentor, token)
    assert [m["candidate_id"] for m in mentees] == [candidate.user_id]

    # Check the intro (and the 1:1 series) are on both calendars, at a time.
    booked = story.after_scheduling_reactions(token)
    intros = []
    for who in (candidate, mentor):
        meetings = story.get("/me/meetings", who, booked)["items"]
        assert {m["kind"] for m in meetings} == {"intro", "mentoring"}
        (intro,) = [m for m in meetings if m["kind"] == "intro"]
        assert set(intro["attendee_ids"]) | {intro["organiser_id"]} >= {
            candidate.user_id,
            mentor.user_id,
        }
        assert intro["starts_at"] is not None
        intros.append(intro["id"])
    assert intros[0] == intros[1]

    # Check a search with typos finds the offering.
    found = search(onboarding, candidate, npo.token, q="resme writting")
    assert ids(found) == [resume_id]
    assert found["items"][0]["title"] == "Resume writing"

    # Check the recommendations show it with the reason it matched.
    read = story.recommendations(candidate, token)
    assert read["assessment_number"] == 1
    (item,) = read["items"]
    assert (item["offering_id"], item["source"]) == (resume_id, "model")
    assert item["reason"]["needs"] == [
        {"category": "resume_writing", "level": "urgent"}
    ]
    assert item["reason"]["location"] in ("same_region", "online")

    # Check the mentor's suggestion comes first, marked as theirs.
    suggested = story.ok(
        client.post(
            f"/candidates/{candidate.user_id}/suggestions",
            json={"offering_id": suits_id, "note": "For your interview"},
            headers=mentor.headers,
        )
    )
    first, second = story.recommendations(candidate, suggested["consistency_token"])[
        "items"
    ]
    assert (first["offering_id"], first["source"]) == (suits_id, "mentor")
    assert first["suggested_by"]["mentor_id"] == mentor.user_id
    assert first["suggested_by"]["note"] == "For your interview"
    assert (second["offering_id"], second["source"]) == (resume_id, "model")

    # Check an offering taken down leaves the search and the recommendations at
    # once: both wait for the takedown's token.
    taken = story.takedown(resume_id)
    assert ids(search(onboarding, candidate, taken, q="resume writing")) == []
    (left,) = story.recommendations(candidate, taken)["items"]
    assert left["offering_id"] == suits_id
    # And the suggestion leaves too, once it is taken down.
    taken = story.takedown(suits_id)
    assert story.recommendations(candidate, taken)["items"] == []
