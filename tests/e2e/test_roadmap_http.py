"""The roadmap's writes over HTTP (#4, C6, CM1), on the composed app in embedded
mode, with real tokens: every transition, who may do it, what is refused and why,
an offering's modules and deadlines copied, and the badges."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from adapters.bootstrap import Container, build_container
from adapters.http.app import create_app
from adapters.settings import Settings
from domain.careers.roadmap import RoadmapStatus
from domain.careers.roadmap_items import ItemKind, ItemStatus
from tests.support.candidate_story import Story
from tests.support.identity import assert_problem
from tests.support.mentoring_http import MentoringClient
from tests.support.onboarding import offering
from tests.support.roadmap_http import Mentee, goal_body
from tests.support.search_http import approved_npo, ids, search


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


@pytest.fixture
def mentee(world: MentoringClient) -> Mentee:
    return Mentee.assigned(world)


def fields(response: Any) -> list[str]:
    return [e["field"] for e in response.json().get("errors", [])]


def badges(mentee: Mentee, after: str) -> set[str]:
    """The candidate's roadmap badges (besides the assessment's)."""
    record = mentee.world.get("/me/career-profile", mentee.candidate, after)
    return {b["kind"] for b in record["badges"]} - {"assessment_completed"}


def test_requested_items_are_approved_at_a_place_or_declined(mentee: Mentee) -> None:
    world, candidate, mentor = mentee.world, mentee.candidate, mentee.mentor

    # Check a request answers 201 with a new item id and a token; it waits.
    answer = world.ok(
        mentee.call("POST", "/me/roadmap/items", candidate, goal_body()), 201
    )
    first = answer["item_id"]
    assert answer["consistency_token"].startswith("careers:")
    assert mentee.roadmap().item(first).status == ItemStatus.PENDING_APPROVAL

    # Check the caller may name the item; naming it twice is a conflict.
    named = mentee.request(goal_body("Interview prep", item_id="interview"))
    assert named == "interview"
    again = mentee.call(
        "POST", "/me/roadmap/items", candidate, goal_body(item_id="interview")
    )
    assert_problem(again, 409)

    # Check the mentor approves the first, then the second before it.
    approved = mentee.approve(first)
    assert badges(mentee, approved["consistency_token"]) == {"first_item_approved"}
    mentee.approve(named, position=0)
    roadmap = mentee.roadmap()
    assert [i.id for i in roadmap.on_roadmap] == [named, first]
    assert roadmap.status == RoadmapStatus.NOT_STARTED

    # Check approving again is a conflict (it is no longer waiting).
    assert_problem(
        mentee.call("POST", f"{mentee.base}/items/{first}/approval", mentor, {}), 409
    )

    # Check the mentor declines a third with a reason, and must give one.
    third = mentee.request(goal_body("Learn Rust"))
    missing = mentee.call("POST", f"{mentee.base}/items/{third}/decline", mentor, {})
    assert_problem(missing, 422)
    assert fields(missing) == ["reason"]
    blank = mentee.call(
        "POST", f"{mentee.base}/items/{third}/decline", mentor, {"reason": "  "}
    )
    assert_problem(blank, 422)
    assert fields(blank) == ["reason"]
    world.ok(
        mentee.call(
            "POST",
            f"{mentee.base}/items/{third}/decline",
            mentor,
            {"reason": "Not now"},
        )
    )
    declined = mentee.roadmap().item(third)
    assert (declined.status, declined.reason) == (ItemStatus.DECLINED, "Not now")

    # Check the mentor reorders; an order that leaves an item out names `order`.
    world.ok(
        mentee.call(
            "PUT", f"{mentee.base}/priorities", mentor, {"order": [first, named]}
        )
    )
    assert [i.id for i in mentee.roadmap().on_roadmap] == [first, named]
    partial = mentee.call(
        "PUT", f"{mentee.base}/priorities", mentor, {"order": [first]}
    )
    assert_problem(partial, 422)
    assert fields(partial) == ["order"]


def test_suggestions_are_accepted_or_declined_by_the_candidate(mentee: Mentee) -> None:
    world, candidate, mentor = mentee.world, mentee.candidate, mentee.mentor
    suggested = world.ok(
        mentee.call(
            "POST",
            f"{mentee.base}/suggestions",
            mentor,
            {**goal_body("Mock interview"), "note": "Before Friday"},
        ),
        201,
    )
    item_id = suggested["item_id"]
    item = mentee.roadmap().item(item_id)
    assert (item.status, item.note) == (ItemStatus.SUGGESTED, "Before Friday")

    # Check only the candidate accepts it (the mentor's approval is for requests).
    assert_problem(
        mentee.call("POST", f"{mentee.base}/items/{item_id}/approval", mentor), 409
    )
    accepted = world.ok(
        mentee.call("POST", f"/me/roadmap/items/{item_id}/accept", candidate)
    )
    assert mentee.roadmap().item(item_id).status == ItemStatus.NOT_STARTED
    assert badges(mentee, accepted["consistency_token"]) == {"first_item_approved"}
    assert_problem(
        mentee.call("POST", f"/me/roadmap/items/{item_id}/accept", candidate), 409
    )

    # Check a second suggestion is declined, with or without a reason.
    other = world.ok(
        mentee.call("POST", f"{mentee.base}/suggestions", mentor, goal_body()), 201
    )["item_id"]
    world.ok(mentee.call("POST", f"/me/roadmap/items/{other}/decline", candidate))
    assert mentee.roadmap().item(other).status == ItemStatus.DECLINED
    assert_problem(
        mentee.call("POST", f"/me/roadmap/items/{other}/decline", candidate), 409
    )


def test_modules_starts_completions_withdrawals_and_feedback(mentee: Mentee) -> None:
    world, candidate, mentor = mentee.world, mentee.candidate, mentee.mentor
    cv = mentee.approved(goal_body("Write a CV", ("Draft", "Review")))
    talk = mentee.approved(goal_body("Give a talk", ()))
    extra = mentee.approved(goal_body("Extra", ("One",)))

    # Check the candidate and the mentor both mark modules: progress follows.
    mentee.mark(cv, "m1", candidate)
    roadmap = mentee.roadmap()
    assert roadmap.item(cv).status == ItemStatus.IN_PROGRESS
    assert str(roadmap.percent) == "16.7"
    mentee.mark(cv, "m1", mentor, done=False)
    assert str(mentee.roadmap().percent) == "0.0"

    # Check a module that is not there is 404; a bad `done` names it.
    assert_problem(
        mentee.call(
            "PUT", f"{mentee.base}/items/{cv}/modules/m9", candidate, {"done": True}
        ),
        404,
    )
    bad = mentee.call(
        "PUT", f"{mentee.base}/items/{cv}/modules/m1", candidate, {"done": "yes"}
    )
    assert_problem(bad, 422)
    assert fields(bad) == ["done"]

    # Check deadlines move; a bad date names `due`.
    world.ok(
        mentee.call(
            "PUT",
            f"{mentee.base}/items/{cv}/deadlines/m2",
            mentor,
            {"due": "2031-05-01"},
        )
    )
    module = mentee.roadmap().item(cv).module("m2")
    assert module is not None
    assert module.due == "2031-05-01"
    bad = mentee.call(
        "PUT", f"{mentee.base}/items/{cv}/deadlines/m2", mentor, {"due": "2031-02-30"}
    )
    assert_problem(bad, 422)
    assert fields(bad) == ["due"]

    # Check an item without modules is started and completed by hand.
    world.ok(mentee.call("POST", f"{mentee.base}/items/{talk}/start", candidate))
    world.ok(mentee.call("POST", f"{mentee.base}/items/{talk}/complete", mentor))
    assert mentee.roadmap().item(talk).status == ItemStatus.COMPLETED
    assert_problem(
        mentee.call("POST", f"{mentee.base}/items/{talk}/withdraw", candidate), 409
    )

    # Check feedback is refused before the roadmap is completed.
    assert_problem(
        mentee.call("PUT", "/me/roadmap/feedback", candidate, {"rating": 5}), 409
    )

    # Check a withdrawn item leaves the progress; its last module completes the CV
    # and with it the roadmap (the badge follows).
    world.ok(
        mentee.call(
            "POST", f"{mentee.base}/items/{extra}/withdraw", mentor, {"reason": "Later"}
        )
    )
    mentee.mark(cv, "m1", candidate)
    done = mentee.mark(cv, "m2", candidate)
    roadmap = mentee.roadmap()
    assert roadmap.status == RoadmapStatus.COMPLETED
    assert str(roadmap.percent) == "100.0"
    assert roadmap.item(extra).status == ItemStatus.WITHDRAWN
    assert badges(mentee, done["consistency_token"]) == {
        "first_item_approved",
        "roadmap_completed",
    }
    assert_problem(
        mentee.call(
            "PUT", f"{mentee.base}/items/{cv}/modules/m1", candidate, {"done": False}
        ),
        409,
    )

    # Check the ratings: out of range names the field; the candidate's own count.
    for body, field in (
        ({"rating": 6}, "rating"),
        ({"rating": 0}, "rating"),
        ({"rating": 4, "items": {cv: 9}}, f"items.{cv}"),
        ({"rating": 4, "items": {extra: 3}}, f"items.{extra}"),
    ):
        refused = mentee.call("PUT", "/me/roadmap/feedback", candidate, body)
        assert_problem(refused, 422)
        assert fields(refused) == [field], body
    world.ok(
        mentee.call(
            "PUT",
            "/me/roadmap/feedback",
            candidate,
            {"rating": 4, "comment": "Useful", "items": {cv: 5, talk: 3}},
        )
    )
    feedback = mentee.roadmap().feedback
    assert feedback is not None
    assert (feedback["rating"], feedback["comment"], feedback["item_ratings"]) == (
        4,
        "Useful",
        {cv: 5, talk: 3},
    )


def test_a_goal_is_checked_field_by_field(mentee: Mentee) -> None:
    candidate = mentee.candidate
    for body, field in (
        (
            {"goal": {"title": "CV", "modules": [{"title": " "}]}},
            "goal.modules[0].title",
        ),
        ({"goal": {"title": "CV", "modules": [{}]}}, "goal.modules[0].title"),
        ({"goal": {"title": ""}}, "goal.title"),
        ({"goal": {"title": "CV", "deadline": "tomorrow"}}, "goal.deadline"),
        ({}, "goal"),
        ({**goal_body(), "offering_id": "x"}, "goal"),
        ({"offering_id": "not-an-offering"}, "offering_id"),
        ({**goal_body(), "item_id": "no spaces"}, "item_id"),
    ):
        refused = mentee.call("POST", "/me/roadmap/items", candidate, body)
        assert_problem(refused, 422)
        assert fields(refused) == [field], (body, refused.text)


def test_who_may_act_on_whose_roadmap(world: MentoringClient) -> None:
    mentee = Mentee.assigned(world)
    other_mentor = world.mentor(["child_care"])
    stranger = world.candidate()
    item_id = mentee.request()
    base = mentee.base

    # Check another mentor's candidate is not found, for every mentor route.
    for method, path, body in (
        ("POST", f"{base}/items/{item_id}/approval", {}),
        ("POST", f"{base}/items/{item_id}/decline", {"reason": "No"}),
        ("POST", f"{base}/suggestions", goal_body()),
        ("PUT", f"{base}/priorities", {"order": []}),
        ("POST", f"{base}/items/{item_id}/start", None),
        ("PUT", f"{base}/items/{item_id}/modules/m1", {"done": True}),
    ):
        assert_problem(mentee.call(method, path, other_mentor, body), 404)

    # Check another candidate may not act on it, and the mentor's own routes are
    # closed to candidates (their own id or not).
    for who in (stranger, mentee.candidate):
        assert_problem(
            mentee.call("POST", f"{base}/items/{item_id}/approval", who, {}), 403
        )
    assert_problem(mentee.call("POST", f"{base}/items/{item_id}/start", stranger), 403)
    # ... and admins act on no roadmap.
    assert_problem(
        mentee.call("POST", f"{base}/items/{item_id}/start", world.admin), 403
    )
    assert_problem(
        mentee.call("POST", "/me/roadmap/items", mentee.mentor, goal_body()), 403
    )
    assert mentee.roadmap().item(item_id).status == ItemStatus.PENDING_APPROVAL


def test_an_offering_item_copies_the_offering_as_it_is(tmp_path: Path) -> None:
    container = build_container(Settings(event_store="popo", data_dir=tmp_path))
    try:
        with TestClient(create_app(container=container)) as client:
            story = Story.start(client, container, "root@example.org")
            onboarding = story.onboarding
            mentor = story.mentor(["resume_writing"])
            leader = onboarding.leader()
            onboarding.community(story.admin, ["resume-writing"], leader)
            npo = approved_npo(
                onboarding,
                leader,
                [offering(), offering(title="Hidden")],
                approve=True,
            )
            clinic = npo.offering_ids[0]
            candidate = onboarding.user("CANDIDATE")
            assert clinic in ids(search(onboarding, candidate, npo.token))
            world = story.mentoring
            token = world.complete(candidate, ["resume_writing"])
            assert world.get("/me/mentees", mentor, token)
            mentee = Mentee(world, candidate, mentor)

            item_id = mentee.request({"offering_id": clinic})
            item = mentee.roadmap().item(item_id)
            assert (item.kind, item.offering_id, item.npo_id) == (
                ItemKind.OFFERING,
                clinic,
                npo.npo_id,
            )
            assert item.offering_version is not None
            assert item.title == "Resume clinic"
            assert [(m.id, m.title, m.done) for m in item.modules] == [
                ("m1", "Draft your resume", False),
                ("m2", "Watch", False),
            ]
            assert [(d.title, d.due) for d in item.deadlines] == [
                ("Apply by", "2027-01-31")
            ]

            # Check the same offering cannot wait twice.
            again = mentee.call(
                "POST", "/me/roadmap/items", candidate, {"offering_id": clinic}
            )
            assert_problem(again, 409)
    finally:
        container.close()
