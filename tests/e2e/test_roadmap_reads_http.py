"""Reading the roadmap over HTTP (#4, C6, CM3), on the composed app in embedded
mode with real tokens: the candidate's own, their mentor's view of it, as of a
moment, its progress over time, and the mentor's list of mentees. The roadmap is
driven by command messages through the dispatcher, as any entry point sends them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from adapters.bootstrap import Container, build_container
from adapters.http.app import create_app
from adapters.settings import Settings
from commands.base import Actor, Command, CommandResult
from commands.careers.messages import (
    ApproveRoadmapItem,
    DeclineRoadmapItem,
    MarkModule,
    RequestRoadmapItem,
)
from tests.support.identity import SignedIn, assert_problem
from tests.support.mentoring_http import MentoringClient
from tests.support.roadmap import goal


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


def as_actor(who: SignedIn, role: str) -> Actor:
    return Actor(user_id=who.user_id, roles=frozenset({role}), correlation_id="e2e")


class Story:
    """A candidate assigned to a mentor, and the commands that drive their roadmap."""

    def __init__(self, world: MentoringClient) -> None:
        self.world = world
        self.mentor = world.mentor(["resume_writing"])
        self.candidate = world.candidate()
        world.complete(self.candidate, ["resume_writing"])
        self.as_candidate = as_actor(self.candidate, "CANDIDATE")
        self.as_mentor = as_actor(self.mentor, "CAREER_MENTOR")

    def send(self, command: Command[CommandResult]) -> str:
        result = self.world.container.dispatcher.dispatch(command)
        assert result.consistency_token is not None
        return result.consistency_token

    def request(self, title: str, modules: tuple[str, ...]) -> str:
        item_id = str(uuid4())
        self.send(
            RequestRoadmapItem(
                actor=self.as_candidate,
                candidate_id=self.candidate.user_id,
                item_id=item_id,
                goal=goal(title, modules),
            )
        )
        return item_id

    def approve(self, item_id: str, position: int | None = None) -> str:
        return self.send(
            ApproveRoadmapItem(
                actor=self.as_mentor,
                candidate_id=self.candidate.user_id,
                item_id=item_id,
                position=position,
            )
        )

    def mark(self, item_id: str, module_id: str) -> str:
        return self.send(
            MarkModule(
                actor=self.as_candidate,
                candidate_id=self.candidate.user_id,
                item_id=item_id,
                module_id=module_id,
                done=True,
            )
        )

    def own(self, after: str | None = None, **params: str) -> Any:
        if after:
            params["after"] = after
        response = self.world.client.get(
            "/me/roadmap", params=params, headers=self.candidate.headers
        )
        return self.world.ok(response)


def test_the_candidate_and_their_mentor_read_the_roadmap(
    world: MentoringClient,
) -> None:
    story = Story(world)
    cv = story.request("Write a CV", ("Draft", "Review", "Send"))
    sql = story.request("Learn SQL", ("Basics",))
    talk = story.request("Give a talk", ())
    story.approve(cv)
    story.approve(sql, position=0)
    story.send(
        DeclineRoadmapItem(
            actor=story.as_mentor,
            candidate_id=story.candidate.user_id,
            item_id=talk,
            reason="Later",
        )
    )
    before_marks = datetime.now(UTC).isoformat()
    after = story.mark(cv, "m1")

    # Check the candidate reads their roadmap at once, in priority order.
    own = story.own(after)
    assert (own["status"], own["percent"]) == ("IN_PROGRESS", 16.7)
    assert [(i["title"], i["priority"], i["percent"]) for i in own["items"]] == [
        ("Learn SQL", 0, 0.0),
        ("Write a CV", 1, 33.3),
    ]
    assert [m["done"] for m in own["items"][1]["modules"]] == [True, False, False]
    assert [s["status"] for s in own["items"][1]["time_in_status"]] == [
        "PENDING_APPROVAL",
        "NOT_STARTED",
        "IN_PROGRESS",
    ]
    assert [(i["title"], i["reason"]) for i in own["declined"]] == [
        ("Give a talk", "Later")
    ]
    assert (own["waiting"], own["withdrawn"], own["feedback"]) == ([], [], None)

    # Check their mentor and an admin read the same; another mentor is told
    # there is no such candidate, and a candidate may not use the route.
    path = f"/candidates/{story.candidate.user_id}/roadmap"
    assert world.get(path, story.mentor, after) == own
    assert world.get(path, world.admin, after) == own
    other = world.mentor(["rent_housing"])
    assert_problem(world.client.get(path, headers=other.headers), 404)
    assert_problem(world.client.get(path, headers=story.candidate.headers), 403)

    # Check as of a moment before the marks: nothing done yet.
    then = story.own(as_of=before_marks)
    assert (then["status"], then["percent"]) == ("NOT_STARTED", 0.0)
    assert then["items"][1]["modules"][0]["done"] is False
    mentor_then = world.client.get(
        path, params={"as_of": before_marks}, headers=story.mentor.headers
    )
    assert world.ok(mentor_then) == then

    # Check the progress over time.
    history = world.get("/me/roadmap/progress-history", story.candidate)
    assert [p["percent"] for p in history["points"]] == [0.0, 16.7]


@pytest.mark.parametrize("as_of", ["2999-01-01T00:00:00Z", "last tuesday"])
def test_as_of_must_be_a_past_timestamp(world: MentoringClient, as_of: str) -> None:
    story = Story(world)
    response = world.client.get(
        "/me/roadmap", params={"as_of": as_of}, headers=story.candidate.headers
    )
    problem = assert_problem(response, 422)
    assert "as_of" in [e["field"] for e in problem["errors"]], problem


def test_a_candidate_without_a_roadmap_reads_an_empty_one(
    world: MentoringClient,
) -> None:
    story = Story(world)
    empty = story.own()
    assert (empty["status"], empty["percent"], empty["items"]) == (
        "NOT_STARTED",
        0.0,
        [],
    )
    history = world.get("/me/roadmap/progress-history", story.candidate)
    assert history == {"points": []}


def test_the_mentor_sees_each_mentees_progress(world: MentoringClient) -> None:
    story = Story(world)
    cv = story.request("Write a CV", ("Draft", "Review"))
    story.approve(cv)
    waiting = story.request("Learn SQL", ())
    after = story.mark(cv, "m1")
    [mentee] = world.get("/me/mentees", story.mentor, after)
    assert mentee["candidate_id"] == story.candidate.user_id
    assert (mentee["percent"], mentee["roadmap_status"]) == (50.0, "IN_PROGRESS")
    assert mentee["awaiting_approval"] == {"count": 1, "item_ids": [waiting]}
    assert mentee["stalled"] is False
    assert mentee["last_activity_at"] is not None


def test_a_write_not_yet_in_the_views_is_read_from_the_roadmaps_record(
    world: MentoringClient,
) -> None:
    story = Story(world)
    cv = story.request("Write a CV", ("Draft", "Review"))
    seen = story.own(story.approve(cv))
    assert seen["percent"] == 0.0
    # The views stop: a module marked now is not in them.
    world.container.engine.stop()
    marked = story.mark(cv, "m1")
    assert story.own()["percent"] == 0.0  # the views, behind

    # Check the token's reader gets its write at once, from the roadmap's record,
    # as the views will render it; so does the mentor.
    own = story.own(marked)
    assert (own["status"], own["percent"]) == ("IN_PROGRESS", 50.0)
    assert [m["done"] for m in own["items"][0]["modules"]] == [True, False]
    path = f"/candidates/{story.candidate.user_id}/roadmap"
    assert world.get(path, story.mentor, marked) == own
    # A token no log has reached is still refused, naming it.
    source, _, position = marked.partition(":")
    beyond = story.world.client.get(
        "/me/roadmap",
        params={"after": f"{source}:{int(position) + 1000}"},
        headers=story.candidate.headers,
    )
    assert beyond.status_code == 422, beyond.text
    assert beyond.json()["errors"][0]["field"] == "after"
