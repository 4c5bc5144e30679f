"""Reports over HTTP on the real services, from a story with known figures.

Two communities, each with its leader; an approved NPO in Bavaria (two offerings)
in the first, a verified one in Saxony (one offering) in the second; a mentor with
room for one mentee; three candidates sign up, two are assessed, one is mentored,
has an offering approved on their roadmap, completes it and rates the roadmap.
Every report over the export is checked figure by figure for an admin, and
narrowed for an NPO member, a leader, a mentor and a candidate; CSV; the refusals
(403, 404, 422); a report as of a moment noted earlier answers what it answered
then. The export is brought up to date before every report (maximum age 0).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.candidate_story import Story
from tests.support.identity import SignedIn, assert_problem, sign_in
from tests.support.onboarding import offering
from tests.support.onboarding_http import RealServices, app_on_real_services
from tests.support.roadmap_http import Mentee
from tests.support.search_http import PublishedNpo, approved_npo

pytestmark = pytest.mark.real_services

BAVARIA = {"address": "1 Main St", "region": "Bavaria", "country": "de"}
SAXONY = {"address": "2 Side St", "region": "Saxony", "country": "de"}


@pytest.fixture
def story(real_services: RealServices) -> Iterator[Story]:
    with app_on_real_services(
        real_services, "reports", analytics_max_age_seconds=0
    ) as (
        client,
        container,
        run,
    ):
        yield Story.start(client, container, f"admin-{run}@example.org")


@dataclass
class World:
    story: Story
    first_leader: SignedIn
    second_leader: SignedIn
    first_community: str
    second_community: str
    bavarian: PublishedNpo
    saxon: PublishedNpo
    mentor: SignedIn
    idle_mentor: SignedIn
    candidates: list[SignedIn]

    def report(self, name: str, who: SignedIn, **params: str) -> dict[str, Any]:
        response = self.story.client.get(
            f"/reports/{name}", params=params, headers=who.headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert body["report"] == name
        return body

    def rows(self, name: str, who: SignedIn, **params: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.report(name, who, **params)["rows"]
        return found


def by(rows: list[dict[str, Any]], *keys: str) -> dict[Any, dict[str, Any]]:
    return {
        (row[keys[0]] if len(keys) == 1 else tuple(row[k] for k in keys)): row
        for row in rows
    }


def funnel(rows: list[dict[str, Any]]) -> list[tuple[str, int, float | None]]:
    return [(r["step"], r["candidates"], r["conversion"]) for r in rows]


def build(story: Story) -> tuple[World, dict[str, Any]]:
    """The story; and the admin's funnel answered after the sign-ups, before any
    assessment (to be answered again as of then)."""
    onboarding = story.onboarding
    first_leader, second_leader = onboarding.leader(), onboarding.leader()
    first = onboarding.community(story.admin, ["resume-writing"], first_leader)
    second = onboarding.community(story.admin, ["business-attire"], second_leader)
    bavarian = approved_npo(
        onboarding,
        first_leader,
        [
            offering(
                categories=["resume_writing"],
                tags=["resumes"],
                location={"region": "Bavaria", "remote": True},
            ),
            offering(
                categories=["mentorship"],
                tags=["advice"],
                location={"region": "Bavaria", "remote": True},
            ),
        ],
        location=BAVARIA,
        service_areas=["Resume Writing"],
    )
    saxon = approved_npo(
        onboarding,
        second_leader,
        [
            offering(
                categories=["business_attire"], tags=["suit"], location={"remote": True}
            )
        ],
        approve=False,
        location=SAXONY,
        service_areas=["Business Attire"],
    )
    # The mentor has room for one mentee; the other mentor for none.
    mentor = story.mentor(["resume_writing"])
    idle_mentor = story.mentor(["child_care"])
    for who, cap in ((mentor, 1), (idle_mentor, 0)):
        story.ok(
            story.client.put(
                f"/mentors/{who.user_id}/cap",
                json={"mentee_cap": cap},
                headers=story.admin.headers,
            )
        )
    candidates = [sign_in(story.client, roles=("CANDIDATE",)) for _ in range(3)]
    world = World(
        story,
        first_leader,
        second_leader,
        first,
        second,
        bavarian,
        saxon,
        mentor,
        idle_mentor,
        candidates,
    )
    before = world.report("candidate-funnel", story.admin)
    assert funnel(before["rows"])[:2] == [("signed-up", 3, 1.0), ("assessed", 0, 0.0)]

    # The first candidate is mentored, the second waits: the mentor is full.
    ada, bob, _ = candidates
    token = story.mentoring.complete(ada, ["resume_writing"])
    mentees = story.get("/me/mentees", mentor, token)
    assert [m["candidate_id"] for m in mentees] == [ada.user_id]
    story.mentoring.complete(bob, ["resume_writing"])

    # Ada asks for the Bavarian resume offering, her mentor approves it, she
    # completes it (the whole roadmap) and rates her roadmap.
    mentee = Mentee(story.mentoring, ada, mentor)
    resume = bavarian.offering_ids[0]
    item_id = mentee.request({"offering_id": resume})
    mentee.approve(item_id)
    story.ok(mentee.call("POST", f"{mentee.base}/items/{item_id}/complete", mentor))
    story.ok(mentee.call("PUT", "/me/roadmap/feedback", ada, {"rating": 4}))
    return world, before


def test_reports_tell_the_story_to_each_reader(story: Story) -> None:
    world, before = build(story)
    admin = story.admin
    resume = world.bavarian.offering_ids[0]
    cyd = world.candidates[2]

    # Check the matches: two NPOs given a leader, one candidate a mentor, this week.
    matches = world.report("matches", admin)
    assert by(matches["rows"], "kind") == {
        "npo-leader": {
            "period": matches["rows"][0]["period"],
            "kind": "npo-leader",
            "matches": 2,
        },
        "candidate-mentor": {
            "period": matches["rows"][0]["period"],
            "kind": "candidate-mentor",
            "matches": 1,
        },
    }
    assert set(matches["exported_through"]) >= {"identity", "onboarding", "careers"}
    assert matches["scope"]["role"] == "ADMIN"

    # Check the offerings per region and category; an NPO sees only its own, a
    # leader those of the NPOs in the communities they lead.
    regions = {
        (r["region"], r["category"]): (r["offerings"], r["created"])
        for r in world.rows("offerings-by-region", admin)
    }
    assert regions == {
        ("Bavaria", "mentorship"): (1, 1),
        ("Bavaria", "resume_writing"): (1, 1),
        ("Saxony", "business_attire"): (1, 1),
    }
    own = world.rows("offerings-by-region", world.bavarian.owner)
    assert {r["region"] for r in own} == {"Bavaria"}
    led = world.rows("offerings-by-region", world.second_leader)
    assert [(r["region"], r["category"]) for r in led] == [
        ("Saxony", "business_attire")
    ]

    # Check the funnel: 3 signed up, 2 assessed, 1 mentored, approved, completed.
    rows = world.rows("candidate-funnel", admin)
    assert funnel(rows) == [
        ("signed-up", 3, 1.0),
        ("assessed", 2, 0.6667),
        ("mentored", 1, 0.5),
        ("first-item-approved", 1, 1.0),
        ("roadmap-completed", 1, 1.0),
    ]
    assert rows[0]["median_hours_from_previous"] is None
    assert all(r["median_hours_from_previous"] >= 0 for r in rows[1:])
    # A mentor sees their mentees only; a candidate themselves only.
    assert [r["candidates"] for r in world.rows("candidate-funnel", world.mentor)] == [
        1,
        1,
        1,
        1,
        1,
    ]
    assert [
        r["candidates"] for r in world.rows("candidate-funnel", world.idle_mentor)
    ] == [0, 0, 0, 0, 0]
    assert [r["candidates"] for r in world.rows("candidate-funnel", cyd)] == [
        1,
        0,
        0,
        0,
        0,
    ]

    # Check the time in each status.
    stays = {
        (r["subject"], r["status"]): (r["entered"], r["left"], r["still_in"])
        for r in world.rows("time-in-status", admin)
    }
    assert stays == {
        ("npo", "registration-pending"): (2, 2, 0),
        ("npo", "verification-pending"): (2, 2, 0),
        ("npo", "approval-pending"): (2, 1, 1),
        ("candidate", "waiting-for-mentor"): (1, 0, 1),
        ("candidate", "item-pending-approval"): (1, 1, 0),
    }
    saxon_stays = {
        (r["subject"], r["status"]): (r["entered"], r["left"], r["still_in"])
        for r in world.rows("time-in-status", world.saxon.owner)
    }
    assert saxon_stays == {
        ("npo", "registration-pending"): (1, 1, 0),
        ("npo", "verification-pending"): (1, 1, 0),
        ("npo", "approval-pending"): (1, 0, 1),
    }

    # Check the engagement per offering: Ada enrolled in the resume offering and
    # completed it; one rating is too few to show its mean.
    engagement = world.rows("offering-engagement", admin)
    assert engagement == [
        {
            "offering_id": resume,
            "npo_id": world.bavarian.npo_id,
            "enrolled": 1,
            "active": 0,
            "completed": 1,
            "withdrawn": 0,
            "feedback": 1,
            "mean_rating": None,
        }
    ]
    assert world.rows("offering-engagement", world.bavarian.owner) == engagement
    assert world.rows("offering-engagement", world.mentor) == engagement
    assert world.rows("offering-engagement", world.saxon.owner) == []
    assert world.rows("offering-engagement", world.idle_mentor) == []

    # Check the communities (CL6); each leader sees only theirs.
    communities = by(world.rows("community", admin), "community_id")
    assert communities[world.first_community] == {
        "community_id": world.first_community,
        "leaders": 1,
        "npos": 1,
        "waiting_for_leader": 0,
        "verified": 1,
        "flagged": 0,
        "approved": 1,
        "active_offerings": 2,
        "npos_registered": 1,
        "leader_assignments": 1,
        "enrolments": 1,
    }
    assert communities[world.second_community] == {
        "community_id": world.second_community,
        "leaders": 1,
        "npos": 1,
        "waiting_for_leader": 0,
        "verified": 1,
        "flagged": 0,
        "approved": 0,
        "active_offerings": 1,
        "npos_registered": 1,
        "leader_assignments": 1,
        "enrolments": 0,
    }
    mine = world.report("community", world.first_leader)
    assert [r["community_id"] for r in mine["rows"]] == [world.first_community]
    assert mine["scope"]["community_ids"] == [world.first_community]

    # Check the admin's overview (the communities: ours, and the default one the
    # platform founded).
    founded = story.get("/communities", admin)
    assert len(founded) == 3
    overview = {
        r["metric"]: (r["in_period"], r["total"])
        for r in world.rows("admin-overview", admin)
    }
    for metric, figure in {
        "npos-registered": 2,
        "npos-verified": 2,
        "npos-approved": 1,
        "npo-leader-matches": 2,
        "communities-founded": 3,
        "offerings-created": 3,
        "candidates-assessed": 2,
        "candidate-mentor-matches": 1,
        "roadmap-items-approved": 1,
        "roadmap-items-completed": 1,
        "roadmaps-completed": 1,
        "feedback-given": 1,
        "npos-deleted": 0,
    }.items():
        assert overview[metric] == (figure, figure), metric

    # Check the report as of the moment noted before the assessments answers what
    # it answered then, and differs from now.
    then = world.report("candidate-funnel", admin, as_of=before["as_of"])
    assert then["rows"] == before["rows"]
    assert then["as_of"] == before["as_of"]
    assert then["rows"] != rows


def test_live_reports_csv_and_refusals(story: Story) -> None:
    world, _ = build(story)
    admin, client = story.admin, story.client

    # Check the live waiting queues: Bob waits for a mentor, the Saxon NPO for
    # its approval; the leader of its community sees only their queues.
    queues = by(world.rows("waiting-queues", admin), "queue")
    assert queues["candidates-waiting-for-mentor"]["waiting"] == 1
    assert queues["npos-awaiting-approval"]["waiting"] == 1
    assert queues["npos-waiting-for-leader"]["waiting"] == 0
    assert set(by(world.rows("waiting-queues", world.second_leader), "queue")) == {
        "npos-waiting-for-leader",
        "npos-awaiting-verification",
    }
    mentors = world.rows("waiting-queues", world.mentor)
    assert mentors == [
        {"queue": "items-awaiting-approval", "waiting": 0, "oldest_waiting_hours": None}
    ]
    lag = world.report("projection-lag", admin)
    assert lag["columns"] == ["projection", "state", "lag_events", "lag_seconds"]
    assert lag["rows"]
    assert all(r["lag_events"] >= 0 for r in lag["rows"])
    assert lag["exported_through"] == {}
    assert lag["from"] is None

    # Check CSV: a header row, then the same rows.
    answered = client.get(
        "/reports/offerings-by-region",
        headers={**admin.headers, "Accept": "text/csv"},
    )
    assert answered.status_code == 200, answered.text
    assert answered.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(answered.text)))
    assert table == [
        ["region", "category", "offerings", "created"],
        ["Bavaria", "mentorship", "1", "1"],
        ["Bavaria", "resume_writing", "1", "1"],
        ["Saxony", "business_attire", "1", "1"],
    ]

    # Check the catalogue lists what each may read.
    listed = story.ok(client.get("/reports", headers=world.candidates[0].headers))
    assert [r["name"] for r in listed["reports"]] == ["candidate-funnel"]

    # Check the refusals.
    ada = world.candidates[0]
    assert_problem(client.get("/reports/matches", headers=ada.headers), 403)
    assert_problem(
        client.get("/reports/community", headers=world.bavarian.owner.headers), 403
    )
    assert_problem(
        client.get("/reports/admin-overview", headers=world.first_leader.headers), 403
    )
    assert_problem(client.get("/reports/no-such-report", headers=admin.headers), 404)
    for params, field, reason in (
        ({"from": "2026-02-30"}, "from", "is not a real date"),
        ({"from": "2026-03-02", "to": "2026-03-01"}, "to", "must not be before from"),
        ({"as_of": "2999-01-01T00:00:00Z"}, "as_of", "must not be in the future"),
    ):
        refused = assert_problem(
            client.get("/reports/matches", params=params, headers=admin.headers), 422
        )
        assert refused["errors"] == [{"field": field, "reason": reason}], refused
