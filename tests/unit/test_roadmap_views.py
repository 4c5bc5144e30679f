"""The roadmap views say what the roadmap says: whatever happens to it, the
PostgreSQL view's document, the cached one and the domain's agree, figures
included; the mentor's list of mentees shows progress, what awaits approval and
who has stalled; history is read from the events."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands.base import Actor
from commands.careers.messages import (
    CompleteRoadmapItem,
    DeclineRoadmapItem,
    EraseCandidate,
    GiveRoadmapFeedback,
    ReorderRoadmap,
    WithdrawRoadmapItem,
)
from domain.base import ConflictError, InvalidFieldError, NotFoundError
from domain.careers.roadmap import Roadmap
from projections.careers.roadmap_document import RoadmapDocument
from projections.careers.roadmaps import RoadmapsReader
from queries.careers import mentors as mentor_queries
from queries.careers import roadmaps as q
from tests.support.roadmap import goal
from tests.support.roadmap_views import ProjectedRoadmaps


@pytest.fixture
def world() -> Iterator[ProjectedRoadmaps]:
    built = ProjectedRoadmaps()
    yield built
    built.close()


class Log:
    def __init__(self, world: ProjectedRoadmaps) -> None:
        self.app = world.careers.app

    def events(self, candidate_id: str) -> list[object]:
        return list(self.app.events.get(Roadmap.id_for(candidate_id)))


def _same(a: RoadmapDocument, b: RoadmapDocument) -> None:
    assert replace(a, position=0) == replace(b, position=0)


def test_the_view_and_the_cache_say_what_the_roadmap_says(
    world: ProjectedRoadmaps,
) -> None:
    ada = world.ada
    cv = ada.request(goal("Write a CV", ("Draft", "Review", "Send")))
    course = ada.request(goal("Finish a course", ("One",)))
    talk = ada.request(goal("Give a talk", ()))
    ada.approve(cv)
    ada.approve(course, position=0)
    ada.careers.send(
        DeclineRoadmapItem(
            actor=ada.as_mentor,
            candidate_id=ada.candidate_id,
            item_id=talk,
            reason="Not yet",
        )
    )
    result = ada.mark(cv, "m1")
    world.catch_up()

    # Check the view's document is the domain's, figures and order included.
    view = RoadmapsReader(world.views).document(ada.candidate_id)
    assert view is not None
    _same(view, world.domain_document())
    assert view.percent == Decimal("16.7")  # (1/3 + 0) / 2, one decimal
    assert [i.id for i in view.items] == [course, cv]
    assert [i.priority for i in view.items] == [0, 1]
    assert [i.percent for i in view.items] == [Decimal("0.0"), Decimal("33.3")]
    assert [i.id for i in view.declined] == [talk]
    assert view.declined[0].reason == "Not yet"
    assert view.status == "IN_PROGRESS"
    [cv_item] = [i for i in view.items if i.id == cv]
    assert [s.status for s in cv_item.history] == [
        "PENDING_APPROVAL",
        "NOT_STARTED",
        "IN_PROGRESS",
    ]
    assert cv_item.history[0].seconds is not None
    assert cv_item.history[-1].until is None

    # Check the cache answers the same, and a read after the mark is served by it.
    assert result.consistency_token is not None
    source, _, position = result.consistency_token.partition(":")
    cached = world.reads.document(ada.candidate_id, q.Wanted(source, int(position)))
    assert world.reads.cache_hits == 1
    assert cached == view


def test_every_change_of_the_roadmap_reaches_the_views(
    world: ProjectedRoadmaps,
) -> None:
    ada = world.ada
    cv = ada.request(goal("Write a CV", ("Draft",)))
    other = ada.request(goal("Network", ("Meet",)))
    ada.approve(cv)
    ada.approve(other)
    ada.careers.send(
        ReorderRoadmap(
            actor=ada.as_mentor, candidate_id=ada.candidate_id, order=[other, cv]
        )
    )
    ada.careers.send(
        WithdrawRoadmapItem(
            actor=ada.as_candidate,
            candidate_id=ada.candidate_id,
            item_id=other,
            reason="Moved",
        )
    )
    ada.careers.send(
        CompleteRoadmapItem(
            actor=ada.as_candidate, candidate_id=ada.candidate_id, item_id=cv
        )
    )
    ada.careers.send(
        GiveRoadmapFeedback(
            actor=ada.as_candidate,
            candidate_id=ada.candidate_id,
            rating=4,
            comment="Helpful",
            item_ratings={cv: 5},
        )
    )
    world.catch_up()

    view = world.reads.document(ada.candidate_id, use_cache=False)
    _same(view, world.domain_document())
    assert (view.status, view.percent) == ("COMPLETED", Decimal("100.0"))
    assert [i.id for i in view.withdrawn] == [other]
    assert view.feedback is not None
    assert (view.feedback.rating, view.feedback.comment) == (4, "Helpful")
    assert view.feedback.item_ratings == {cv: 5}
    assert world.reads.document(ada.candidate_id) == view


def test_running_views_fold_each_event_without_loading_the_roadmap(
    world: ProjectedRoadmaps,
) -> None:
    ada = world.ada
    cv = ada.request(goal("Write a CV", ("Draft", "Review", "Send")))
    world.follow()
    ada.approve(cv)
    ada.mark(cv, "m1")
    world.follow()
    ada.mark(cv, "m2")
    world.follow(limit=1)
    # Check the roadmap was folded from its first event on: never loaded.
    assert world.loads == 0
    _same(world.reads.document(ada.candidate_id), world.domain_document())
    # Check fresh instances (a restart) load it once each, then fold.
    world.catch_up()
    assert world.loads == 0  # nothing new to apply
    ada.mark(cv, "m3")
    world.catch_up()
    assert world.loads == 2
    _same(world.reads.document(ada.candidate_id), world.domain_document())


def test_an_erased_candidate_leaves_no_row_and_no_key(
    world: ProjectedRoadmaps,
) -> None:
    ada = world.ada
    ada.approve(ada.request())
    world.catch_up()
    assert RoadmapsReader(world.views).document(ada.candidate_id) is not None
    assert world.cache.keys("roadmap:")

    ada.careers.send(
        EraseCandidate(actor=Actor.system("t"), candidate_id=ada.candidate_id)
    )
    world.catch_up()

    # Check nothing of the roadmap is left in the view or the cache.
    assert RoadmapsReader(world.views).document(ada.candidate_id) is None
    assert world.cache.keys("roadmap:") == []
    with world.views.transaction() as session:
        rows = session.fetchall("SELECT COUNT(*) FROM car_roadmap_items_v1")
    assert rows[0][0] == 0
    empty = world.reads.document(ada.candidate_id)
    assert (empty.items, empty.percent) == ((), Decimal("0.0"))


def test_a_candidate_without_a_roadmap_has_an_empty_one(
    world: ProjectedRoadmaps,
) -> None:
    world.catch_up()
    found = world.reads.document(world.ada.candidate_id)
    assert (found.status, found.percent, found.items) == (
        "NOT_STARTED",
        Decimal("0.0"),
        (),
    )


def test_a_read_wanting_a_later_position_is_answered_by_the_view(
    world: ProjectedRoadmaps,
) -> None:
    ada = world.ada
    ada.approve(ada.request())
    world.catch_up()
    cached = world.reads.document(ada.candidate_id)
    # Check a position past the cached document's (or of another log) goes past
    # the cache to the view.
    later = q.Wanted("careers", cached.position + 1)
    world.reads.document(ada.candidate_id, later)
    world.reads.document(ada.candidate_id, q.Wanted("identity", 1))
    assert (world.reads.cache_hits, world.reads.cache_misses) == (1, 2)


# --- Random histories ----------

steps = st.lists(
    st.tuples(
        st.sampled_from(["request", "approve", "mark", "unmark", "withdraw", "done"]),
        st.integers(0, 3),
        st.integers(1, 3),
    ),
    max_size=14,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_whatever_happens_the_view_folds_as_the_domain(
    history: list[tuple[str, int, int]],
) -> None:
    world = ProjectedRoadmaps()
    try:
        ada = world.ada
        items: list[str] = []
        for n, (kind, pick, module) in enumerate(history):
            target = items[pick % len(items)] if items else None
            try:
                if kind == "request" or target is None:
                    items.append(ada.request(goal(f"Goal {n}", ("A", "B", "C"))))
                elif kind == "approve":
                    ada.approve(target, position=pick)
                elif kind in ("mark", "unmark"):
                    ada.mark(target, f"m{module}", kind == "mark")
                elif kind == "withdraw":
                    ada.careers.send(
                        WithdrawRoadmapItem(
                            actor=ada.as_candidate,
                            candidate_id=ada.candidate_id,
                            item_id=target,
                        )
                    )
                else:
                    ada.careers.send(
                        CompleteRoadmapItem(
                            actor=ada.as_candidate,
                            candidate_id=ada.candidate_id,
                            item_id=target,
                        )
                    )
            except (ConflictError, NotFoundError, InvalidFieldError):
                pass
            if n % 4 == 0:
                # Batches of every size, the views holding what they folded.
                world.follow(limit=1 + pick)
        world.follow()
        if not items:
            return
        view = RoadmapsReader(world.views).document(ada.candidate_id)
        assert view is not None
        _same(view, world.domain_document())
        roadmap = ada.roadmap()
        assert view.percent == roadmap.percent
        assert world.reads.document(ada.candidate_id) == view
        # Check a rebuild (fresh instances, one batch) says the same.
        assert world.rebuilt() == view
    finally:
        world.close()


# --- History from the events ----------


def test_as_of_and_progress_history_come_from_the_events(
    world: ProjectedRoadmaps,
) -> None:
    ada = world.ada
    cv = ada.request(goal("Write a CV", ("Draft", "Review")))
    ada.approve(cv)
    before = datetime.now(UTC)
    ada.mark(cv, "m1")
    ada.mark(cv, "m2")
    log = Log(world)

    then = q.roadmap_as_of(log, ada.candidate_id, before)
    assert (then.percent, then.items[0].status) == (Decimal("0.0"), "NOT_STARTED")
    now = q.roadmap_as_of(log, ada.candidate_id, datetime.now(UTC))
    _same(now, world.domain_document())
    assert now.percent == Decimal("100.0")
    long_ago = datetime.now(UTC) - timedelta(days=365)
    assert q.roadmap_as_of(log, ada.candidate_id, long_ago).items == ()

    points = q.progress_history(log, ada.candidate_id)
    assert [p.percent for p in points] == [
        Decimal("0.0"),
        Decimal("50.0"),
        Decimal("100.0"),
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("yesterday", "ISO 8601"),
        ("2026-13-01T00:00:00Z", "ISO 8601"),
        ("2026-02-30T00:00:00Z", "real date"),
        ("2999-01-01T00:00:00Z", "future"),
    ],
)
def test_an_as_of_moment_must_be_a_past_timestamp(text: str, reason: str) -> None:
    with pytest.raises(InvalidFieldError) as refused:
        q.parse_moment(text)
    assert refused.value.field == "as_of"
    assert reason in str(refused.value)


def test_an_as_of_moment_without_an_offset_is_utc() -> None:
    assert q.parse_moment("2020-01-31T12:00:00") == datetime(
        2020, 1, 31, 12, tzinfo=UTC
    )


# --- The mentor's mentees (CM3) ----------


def test_the_mentor_sees_progress_waiting_items_and_who_stalled(
    world: ProjectedRoadmaps,
) -> None:
    ada = world.ada
    cv = ada.request(goal("Write a CV", ("Draft", "Review")))
    waiting = ada.request(goal("Learn SQL", ("One",)))
    ada.approve(cv)
    ada.mark(cv, "m1")
    world.catch_up()

    def mentees(now: datetime) -> list[mentor_queries.MenteeProgress]:
        return mentor_queries.list_mentees(world.views, ada.mentor_id, lambda: now)

    [today] = mentees(datetime.now(UTC))
    assert today.mentee.candidate_id == ada.candidate_id
    assert today.roadmap is not None
    assert today.roadmap.percent == Decimal("50.0")
    assert today.roadmap.status == "IN_PROGRESS"
    assert today.roadmap.awaiting_approval == (waiting,)
    assert today.roadmap.last_activity_at == ada.roadmap().last_activity_at
    assert today.stalled is False

    # Check fourteen days without progress, an item still open: stalled.
    [later] = mentees(datetime.now(UTC) + timedelta(days=14, minutes=1))
    assert later.stalled is True

    # Check a completed roadmap never stalls.
    ada.mark(cv, "m2")
    world.catch_up()
    [done] = mentees(datetime.now(UTC) + timedelta(days=30))
    assert (done.roadmap and done.roadmap.status, done.stalled) == ("COMPLETED", False)
