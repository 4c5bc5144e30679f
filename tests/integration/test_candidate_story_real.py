"""The candidate story's essential path on the real services: PostgreSQL (events,
views, the full-text search view with ``pg_trgm``), FerretDB, Redis, Kafka and S3.

An approved NPO's offering (through the Kafka offering flow); a candidate completes
an assessment and is assigned a mentor; the offering shows in the search and the
recommendations, with its reason; taken down, it leaves both at once.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from projections.onboarding.offering_search_postgres import PostgresOfferingSearch
from tests.support.candidate_story import RESUME_WRITING, Story
from tests.support.mentoring import assessment_body
from tests.support.onboarding_http import RealServices, app_on_real_services
from tests.support.search_http import approved_npo, ids, search

pytestmark = pytest.mark.real_services


@pytest.fixture
def story(real_services: RealServices) -> Iterator[Story]:
    with app_on_real_services(real_services, "story") as (client, container, run):
        yield Story.start(client, container, f"admin-{run}@example.org")


def test_assessment_recommendations_takedown_on_real_services(story: Story) -> None:
    assert isinstance(story.container.offering_search, PostgresOfferingSearch)
    onboarding = story.onboarding
    mentor = story.mentor(["resume_writing"])
    leader = onboarding.leader()
    onboarding.community(story.admin, ["resume-writing"], leader)
    npo = approved_npo(onboarding, leader, [RESUME_WRITING], name="Bridgeway")
    [resume_id] = npo.offering_ids
    candidate = onboarding.user("CANDIDATE")

    assessed = story.ok(
        story.client.post(
            "/me/assessments",
            json=assessment_body(["resume_writing"]),
            headers=candidate.headers,
        ),
        201,
    )
    token = assessed["consistency_token"]

    # Check the mentor is assigned, and the offering recommended with its reason.
    record = story.get("/me/career-profile", candidate, token)
    assert (record["status"], record["mentor_id"]) == ("MENTORED", mentor.user_id)
    found = search(onboarding, candidate, npo.token, q="resme writting")
    assert ids(found) == [resume_id]
    (item,) = story.recommendations(candidate, token)["items"]
    assert (item["offering_id"], item["source"]) == (resume_id, "model")
    assert item["reason"]["needs"] == [
        {"category": "resume_writing", "level": "urgent"}
    ]

    # Check a takedown leaves the search and the recommendations at once.
    taken = story.takedown(resume_id)
    assert ids(search(onboarding, candidate, taken, q="resume writing")) == []
    assert story.recommendations(candidate, taken)["items"] == []
