"""Mentors and mentor assignment over HTTP (CM2), on the composed app in embedded
mode, with real tokens."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from adapters.bootstrap import Container, build_container
from adapters.http.app import create_app
from adapters.settings import Settings
from tests.support.identity import assert_problem, sign_in
from tests.support.mentoring import assessment_body
from tests.support.mentoring_http import MentoringClient


@pytest.fixture
def container(tmp_path: Path) -> Iterator[Container]:
    built = build_container(
        Settings(event_store="popo", data_dir=tmp_path, run_projections_in_api=True)
    )
    yield built
    built.close()


@pytest.fixture
def world(container: Container) -> Iterator[MentoringClient]:
    with TestClient(create_app(container=container)) as client:
        yield MentoringClient.start(client, container, "admin@example.org")


def mentees(world: MentoringClient, mentor: Any, after: str) -> list[str]:
    found = world.get("/me/mentees", mentor, after)
    return [m["candidate_id"] for m in found]


def test_the_mentor_story_assignment_queue_cap_and_a_mentor_leaving(
    world: MentoringClient,
) -> None:
    admin = world.admin
    world.ok(
        world.client.put(
            "/careers-policy", json={"mentee_cap": 1}, headers=admin.headers
        )
    )
    resume = world.mentor(["resume_writing"], languages=["en", "es"])
    housing = world.mentor(["rent_housing"])
    first, second, third = (world.candidate() for _ in range(3))

    # A covering mentor takes the first; the second goes to any mentor with room.
    after = world.complete(first, ["resume_writing"])
    assert world.get("/me/mentees", resume, after) == [
        {
            "candidate_id": first.user_id,
            "reason": "expertise",
            "assigned_at": world.get("/me/mentees", resume)[0]["assigned_at"],
            # No roadmap yet.
            "percent": 0.0,
            "roadmap_status": "NOT_STARTED",
            "last_activity_at": None,
            "awaiting_approval": {"count": 0, "item_ids": []},
            "stalled": False,
        }
    ]
    after = world.complete(second, ["resume_writing"])
    (taken,) = world.get("/me/mentees", housing, after)
    assert (taken["candidate_id"], taken["reason"]) == (second.user_id, "any_mentor")

    # Nobody has room: the third waits, and admins see the queue and every load.
    after = world.complete(third, ["resume_writing"])
    queue = world.every("/mentors/queue", after)
    assert [(w["position"], w["candidate_id"]) for w in queue] == [(1, third.user_id)]
    loads = {
        m["mentor_id"]: (m["active_mentees"], m["effective_cap"], m["mentee_cap"])
        for m in world.every("/mentors", after)
    }
    assert loads == {resume.user_id: (1, 1, None), housing.user_id: (1, 1, None)}
    profile = world.get("/me/mentor-profile", resume, after)
    assert profile["languages"] == ["en", "es"]
    assert profile["categories"] == ["resume_writing"]

    # A raised cap serves the head of the queue at once.
    raised = world.ok(
        world.client.put(
            f"/mentors/{resume.user_id}/cap",
            json={"mentee_cap": 2},
            headers=admin.headers,
        )
    )
    after = raised["consistency_token"]
    assert world.every("/mentors/queue", after) == []
    assert mentees(world, resume, after) == [first.user_id, third.user_id]

    # The housing mentor loses the role: their mentee is not orphaned, they wait
    # (everyone else is full), and they come first in line.
    revoked = world.ok(
        world.client.delete(
            f"/users/{housing.user_id}/roles/CAREER_MENTOR", headers=admin.headers
        )
    )
    after = world.after_identity_reactions(revoked["consistency_token"])
    queue = world.every("/mentors/queue", after)
    assert [w["candidate_id"] for w in queue] == [second.user_id]
    listed = {m["mentor_id"]: m for m in world.every("/mentors", after)}
    assert listed[housing.user_id]["active"] is False
    assert listed[housing.user_id]["active_mentees"] == 0
    # ... and no longer reads mentor routes.
    assert_problem(world.client.get("/me/mentees", headers=housing.headers), 403)

    # The resume mentor finishes with the first mentee: the freed slot serves the
    # waiting one.
    finished = world.ok(
        world.client.delete(f"/me/mentees/{first.user_id}", headers=resume.headers)
    )
    after = finished["consistency_token"]
    assert mentees(world, resume, after) == [third.user_id, second.user_id]
    assert world.every("/mentors/queue", after) == []


def test_who_may_read_and_change_what(world: MentoringClient) -> None:
    mentor = world.mentor(["child_care"])
    other = world.mentor(["child_care"])
    candidate = world.candidate()
    world.complete(candidate, ["child_care"])
    # Candidates and mentors read no admin list; candidates keep no mentor profile.
    for path in ("/mentors", "/mentors/queue", "/careers-policy"):
        assert_problem(world.client.get(path, headers=candidate.headers), 403)
        assert_problem(world.client.get(path, headers=mentor.headers), 403)
    assert_problem(
        world.client.put(
            "/me/mentor-profile",
            json={"categories": ["child_care"]},
            headers=candidate.headers,
        ),
        403,
    )
    assert_problem(
        world.client.put(
            f"/mentors/{mentor.user_id}/cap",
            json={"mentee_cap": 3},
            headers=mentor.headers,
        ),
        403,
    )
    # Mentors never take candidates' routes.
    assert_problem(
        world.client.post(
            "/me/assessments", json=assessment_body(), headers=mentor.headers
        ),
        403,
    )
    # Another mentor cannot end a mentee's mentoring, nor learn whose they are.
    for candidate_id in (candidate.user_id, str(uuid4())):
        assert_problem(
            world.client.delete(f"/me/mentees/{candidate_id}", headers=other.headers),
            404,
        )
    # Unknown mentor: 404; a user without a profile reads 404 for their own.
    assert_problem(
        world.client.put(
            f"/mentors/{uuid4()}/cap",
            json={"mentee_cap": 3},
            headers=world.admin.headers,
        ),
        404,
    )
    newcomer = sign_in(world.client)
    world.grant(newcomer, "CAREER_MENTOR")
    assert_problem(
        world.client.get("/me/mentor-profile", headers=newcomer.headers), 404
    )


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/me/mentor-profile", {"categories": ["astrology"]}, "categories[0]"),
        ("/me/mentor-profile", {"categories": []}, "categories"),
        (
            "/me/mentor-profile",
            {"categories": ["child_care"], "languages": ["english!"]},
            "languages[0]",
        ),
        (
            "/me/mentor-profile",
            {"categories": ["child_care"], "expertise_tags": ["x" * 51]},
            "expertise_tags[0]",
        ),
        ("/me/mentor-profile", {"categories": ["child_care"], "bio": "x"}, "bio"),
    ],
)
def test_bad_mentor_profiles_are_422_naming_the_field(
    world: MentoringClient, path: str, body: dict[str, Any], field: str
) -> None:
    mentor = world.mentor(["child_care"])
    problem = assert_problem(
        world.client.put(path, json=body, headers=mentor.headers), 422
    )
    assert field in [e["field"] for e in problem["errors"]]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/careers-policy", {"mentee_cap": 0}, "mentee_cap"),
        ("/careers-policy", {"mentee_cap": "3"}, "mentee_cap"),
        ("/careers-policy", {"mentee_cap": True}, "mentee_cap"),
        ("/mentors/{id}/cap", {"mentee_cap": -1}, "mentee_cap"),
        ("/mentors/{id}/cap", {"mentee_cap": 10_001}, "mentee_cap"),
        ("/mentors/{id}/cap", {}, "mentee_cap"),
    ],
)
def test_bad_caps_are_422_naming_the_field(
    world: MentoringClient, path: str, body: dict[str, Any], field: str
) -> None:
    mentor = world.mentor(["child_care"])
    response = world.client.put(
        path.format(id=mentor.user_id), json=body, headers=world.admin.headers
    )
    problem = assert_problem(response, 422)
    assert field in [e["field"] for e in problem["errors"]]
    # Nothing changed.
    after = world.careers_head()
    (listed,) = world.every("/mentors", after)
    assert (listed["mentee_cap"], listed["effective_cap"]) == (None, 5)


def test_a_cap_set_to_null_returns_to_the_default(world: MentoringClient) -> None:
    mentor = world.mentor(["child_care"])
    for cap, effective in ((2, 2), (None, 5)):
        answer = world.ok(
            world.client.put(
                f"/mentors/{mentor.user_id}/cap",
                json={"mentee_cap": cap},
                headers=world.admin.headers,
            )
        )
        (listed,) = world.every("/mentors", answer["consistency_token"])
        assert (listed["mentee_cap"], listed["effective_cap"]) == (cap, effective)
    policy = world.get("/careers-policy", world.admin)
    assert policy == {"mentee_cap": 5}


def test_a_disabled_or_erased_mentor_leaves_no_orphan(world: MentoringClient) -> None:
    admin = world.admin
    disabled = world.mentor(["child_care"])
    erased = world.mentor(["child_care"])
    staying = world.mentor(["rent_housing"])
    candidates = [world.candidate() for _ in range(3)]
    for candidate in candidates:
        after = world.complete(candidate, ["child_care"])
    # Round-robin among the covering mentors: disabled, erased, disabled.
    assert len(world.get("/me/mentees", disabled, after)) == 2

    # An admin disables one: their mentees go to the other covering mentor.
    answer = world.ok(
        world.client.post(
            f"/users/{disabled.user_id}/disable",
            json={"reason": "left the programme"},
            headers=admin.headers,
        )
    )
    after = world.after_identity_reactions(answer["consistency_token"])
    mentees_of = {
        m.user_id: [x["candidate_id"] for x in world.get("/me/mentees", m, after)]
        for m in (erased, staying)
    }
    assert mentees_of == {
        erased.user_id: [candidates[i].user_id for i in (1, 0, 2)],
        staying.user_id: [],
    }

    # That one is erased: their mentees go to any mentor with room, and the erased
    # mentor is gone from the admins' list (an erased person leaves no row).
    answer = world.ok(
        world.client.delete(f"/users/{erased.user_id}", headers=admin.headers)
    )
    after = world.after_identity_reactions(answer["consistency_token"])
    listed = {m["mentor_id"]: m for m in world.every("/mentors", after)}
    assert set(listed) == {disabled.user_id, staying.user_id}
    assert listed[disabled.user_id]["active"] is False
    assert listed[staying.user_id]["active_mentees"] == 3
    assert world.every("/mentors/queue", after) == []
