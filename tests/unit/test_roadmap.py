"""The roadmap's rules one by one: asking, deciding, priorities, working through
items, progress and its rounding, the derived status, time in each status, history,
reminders, feedback and erasure (the domain alone, on a clock the test sets)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.base import ConflictError, GoneError, InvalidFieldError, NotFoundError
from domain.careers.progress import (
    ItemFigures,
    item_progress,
    percent,
    roadmap_progress,
)
from domain.careers.roadmap import (
    MAX_ITEMS,
    Roadmap,
    RoadmapStatus,
    as_of,
    progress_history,
)
from domain.careers.roadmap_items import ItemSpec, ItemStatus, due_instant
from domain.personal_data import ERASED

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
CANDIDATE_ID = "5eed0000-0000-4000-8000-00000000c0de"
MENTOR_ID = "5eed0000-0000-4000-8000-00000000beef"


class Clock:
    """The time every event is stamped with; each reading a microsecond later."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=1)
        return self.now

    def passes(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Iterator[Clock]:
    ticking = Clock()
    with patch("eventsourcing.domain.datetime_now_with_tzinfo", ticking):
        yield ticking


@pytest.fixture
def roadmap(clock: Clock) -> Roadmap:
    return Roadmap.start(CANDIDATE_ID)


def goal(modules: int = 2, deadline: str | None = None, **dues: str) -> ItemSpec:
    return ItemSpec.goal(
        "Learn SQL",
        "Evenings",
        [
            {"title": f"Part {n}", "due": dues.get(f"m{n}")}
            for n in range(1, modules + 1)
        ],
        deadline,
    )


def offering(offering_id: str = "off-1", modules: int = 2) -> ItemSpec:
    return ItemSpec.offering(
        offering_id=offering_id,
        version=3,
        npo_id="npo-1",
        title="Bookkeeping course",
        modules=[(f"o{n}", f"Lesson {n}") for n in range(modules)],
        deadlines=[("Enrol by", "2026-04-01")],
    )


def approved(roadmap: Roadmap, item_id: str, spec: ItemSpec | None = None) -> str:
    roadmap.request_item(item_id, spec or goal())
    roadmap.approve(item_id)
    return item_id


def status(roadmap: Roadmap) -> RoadmapStatus:
    return roadmap.status


def keys(roadmap: Roadmap) -> set[tuple[str, str, datetime]]:
    return {(t.kind.value, t.subject, t.due_at) for t in roadmap.due_timers()}


# --- Asking and deciding --------------------------------------------------------------


def test_a_request_waits_for_the_mentor_and_is_not_on_the_roadmap(
    roadmap: Roadmap,
) -> None:
    roadmap.request_item("sql", goal())
    item = roadmap.item("sql")
    assert (item.status, item.requested_by, item.title) == (
        ItemStatus.PENDING_APPROVAL,
        "candidate",
        "Learn SQL",
    )
    assert [i.id for i in roadmap.awaiting_approval] == ["sql"]
    assert roadmap.on_roadmap == []
    assert (roadmap.status, roadmap.percent) == (RoadmapStatus.NOT_STARTED, Decimal(0))


def test_approvals_place_items_in_the_priority_order(roadmap: Roadmap) -> None:
    for item_id in ("a", "b", "c", "d", "e"):
        roadmap.request_item(item_id, goal())
    assert roadmap.approve("a") is True  # the first approved item: a badge
    assert roadmap.approve("b", 0) is False
    roadmap.approve("c", 1)
    roadmap.approve("d", 99)  # past the end: last
    assert [i.id for i in roadmap.on_roadmap] == ["b", "c", "a", "d"]
    with pytest.raises(InvalidFieldError) as negative:
        roadmap.approve("e", -1)
    assert negative.value.field == "position"
    # A withdrawn item keeps its place but is not counted among the positions.
    roadmap.withdraw("c")
    roadmap.approve("e", 1)
    assert [i.id for i in roadmap.on_roadmap] == ["b", "e", "a", "d"]


def test_only_a_waiting_item_is_decided(roadmap: Roadmap) -> None:
    approved(roadmap, "a")
    with pytest.raises(ConflictError):
        roadmap.approve("a")
    with pytest.raises(ConflictError):
        roadmap.decline("a", "No")
    with pytest.raises(ConflictError):
        roadmap.accept_suggestion("a")
    with pytest.raises(ConflictError):
        roadmap.decline_suggestion("a")
    with pytest.raises(NotFoundError):
        roadmap.approve("nothing")


def test_a_decline_needs_a_reason_and_is_final(roadmap: Roadmap) -> None:
    roadmap.request_item("a", goal())
    for reason in (None, "", "   "):
        with pytest.raises(InvalidFieldError) as refused:
            roadmap.decline("a", reason)
        assert refused.value.field == "reason"
    roadmap.decline("a", "Not before the CV")
    item = roadmap.item("a")
    assert (item.status, item.reason) == (ItemStatus.DECLINED, "Not before the CV")
    with pytest.raises(ConflictError):
        roadmap.withdraw("a")
    assert roadmap.on_roadmap == []


def test_a_suggestion_is_accepted_last_in_the_order_or_declined(
    roadmap: Roadmap,
) -> None:
    approved(roadmap, "mine")
    roadmap.suggest_item("theirs", goal(), MENTOR_ID, "Worth a look")
    roadmap.suggest_item("other", goal(), MENTOR_ID)
    suggested = roadmap.item("theirs")
    assert (suggested.status, suggested.requested_by, suggested.note) == (
        ItemStatus.SUGGESTED,
        "mentor",
        "Worth a look",
    )
    assert roadmap.awaiting_approval == []  # waits for the candidate, not the mentor
    with pytest.raises(ConflictError):
        roadmap.approve("theirs")
    assert roadmap.accept_suggestion("theirs") is False  # not the first approval
    assert [i.id for i in roadmap.on_roadmap] == ["mine", "theirs"]
    roadmap.decline_suggestion("other")  # no reason needed
    assert roadmap.item("other").status == ItemStatus.DECLINED


def test_the_first_approval_may_be_an_accepted_suggestion(roadmap: Roadmap) -> None:
    roadmap.suggest_item("theirs", goal(), MENTOR_ID)
    assert roadmap.accept_suggestion("theirs") is True


def test_an_item_id_and_an_open_offering_are_on_a_roadmap_once(
    roadmap: Roadmap,
) -> None:
    roadmap.request_item("a", offering("off-1"))
    with pytest.raises(ConflictError):
        roadmap.request_item("a", goal())
    with pytest.raises(ConflictError):
        roadmap.suggest_item("b", offering("off-1"), MENTOR_ID)
    roadmap.withdraw("a")
    roadmap.request_item("b", offering("off-1"))  # again, once withdrawn
    item = roadmap.item("b")
    assert (item.offering_id, item.offering_version, item.npo_id) == (
        "off-1",
        3,
        "npo-1",
    )
    assert [m.id for m in item.modules] == ["o0", "o1"]
    assert [(d.id, d.due) for d in item.deadlines] == [("d1", "2026-04-01")]


def test_a_roadmap_holds_a_bounded_number_of_items(roadmap: Roadmap) -> None:
    for n in range(MAX_ITEMS):
        roadmap.request_item(f"i{n}", goal(0))
    with pytest.raises(ConflictError):
        roadmap.request_item("one-more", goal(0))


def test_a_goal_names_the_field_it_breaks() -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"title": ""}, "goal.title"),
        ({"modules": [{"title": "ok"}, {"title": ""}]}, "goal.modules[1].title"),
        ({"modules": [{"title": "ok", "due": "soon"}]}, "goal.modules[0].due"),
        ({"modules": [{"title": "ok", "due": "2026-02-30"}]}, "goal.modules[0].due"),
        ({"modules": ["text"]}, "goal.modules[0]"),
        ({"modules": "abc"}, "goal.modules"),
        ({"modules": [{"title": "m"}] * 101}, "goal.modules"),
        ({"deadline": "next week"}, "goal.deadline"),
    ]
    for overrides, field in cases:
        arguments: dict[str, Any] = {"title": "A goal", **overrides}
        with pytest.raises(InvalidFieldError) as refused:
            ItemSpec.goal(
                arguments["title"],
                None,
                arguments.get("modules", ()),
                arguments.get("deadline"),
            )
        assert refused.value.field == field, overrides


def test_due_dates_fall_due_at_the_start_of_the_day_utc_or_at_their_instant() -> None:
    assert due_instant("2026-04-01") == datetime(2026, 4, 1, tzinfo=UTC)
    assert due_instant("2026-04-01T10:00:00+02:00") == datetime(
        2026, 4, 1, 8, tzinfo=UTC
    )
    assert due_instant("2026-04-01T10:00:00Z") == datetime(2026, 4, 1, 10, tzinfo=UTC)


# --- Priorities -----------------------------------------------------------------------


def test_the_mentor_orders_every_item_on_the_roadmap(roadmap: Roadmap) -> None:
    for item_id in ("a", "b", "c", "gone"):
        approved(roadmap, item_id)
    roadmap.withdraw("gone")
    roadmap.complete_item("a")
    roadmap.collect_events()
    roadmap.reorder(["c", "a", "b"])  # a completed item keeps a place too
    assert [i.id for i in roadmap.on_roadmap] == ["c", "a", "b"]
    roadmap.reorder(["c", "a", "b"])
    assert [type(e).__name__ for e in roadmap.collect_events()] == [
        "PrioritiesReordered"
    ]  # the same order again records nothing
    for order in (["c", "a"], ["c", "a", "b", "gone"], ["c", "a", "b", "b"], []):
        with pytest.raises(InvalidFieldError) as refused:
            roadmap.reorder(order)
        assert refused.value.field == "order"


# --- Working through items ------------------------------------------------------------


def test_modules_move_an_item_through_its_statuses(roadmap: Roadmap) -> None:
    approved(roadmap, "a", goal(3))
    assert roadmap.item("a").status == ItemStatus.NOT_STARTED
    assert roadmap.mark_module("a", "m1", True) is False
    assert roadmap.item("a").status == ItemStatus.IN_PROGRESS
    assert roadmap.item_percent("a") == Decimal("33.3")
    roadmap.mark_module("a", "m1", False)  # undone: still in progress, at 0
    assert (roadmap.item("a").status, roadmap.item_percent("a")) == (
        ItemStatus.IN_PROGRESS,
        Decimal("0.0"),
    )
    roadmap.collect_events()
    roadmap.mark_module("a", "m1", False)  # as it is: nothing recorded
    assert list(roadmap.collect_events()) == []
    with pytest.raises(NotFoundError):
        roadmap.mark_module("a", "m9", True)
    roadmap.mark_module("a", "m1", True)
    roadmap.mark_module("a", "m2", True)
    assert roadmap.mark_module("a", "m3", True) is True  # the last: all done
    assert roadmap.item("a").status == ItemStatus.COMPLETED
    assert (roadmap.status, roadmap.completions) == (RoadmapStatus.COMPLETED, 1)
    with pytest.raises(ConflictError):  # completed is final
        roadmap.mark_module("a", "m3", False)
    for change in (roadmap.start_item, roadmap.complete_item, roadmap.withdraw):
        with pytest.raises(ConflictError):
            change("a")


def test_only_an_approved_open_item_is_worked_on(roadmap: Roadmap) -> None:
    roadmap.request_item("waiting", goal())
    approved(roadmap, "gone")
    roadmap.withdraw("gone")
    for item_id in ("waiting", "gone"):
        with pytest.raises(ConflictError):
            roadmap.mark_module(item_id, "m1", True)
        with pytest.raises(ConflictError):
            roadmap.start_item(item_id)
        with pytest.raises(ConflictError):
            roadmap.complete_item(item_id)
        with pytest.raises(ConflictError):
            roadmap.move_deadline(item_id, "m1", "2026-05-01")
    with pytest.raises(NotFoundError):
        roadmap.start_item("nothing")


def test_an_item_without_modules_is_started_and_completed_by_hand(
    roadmap: Roadmap,
) -> None:
    approved(roadmap, "a", goal(0))
    approved(roadmap, "b", goal(0))
    assert roadmap.item_percent("a") == Decimal("0.0")
    roadmap.start_item("a")
    roadmap.start_item("a")  # started already: nothing more
    assert roadmap.item("a").status == ItemStatus.IN_PROGRESS
    assert roadmap.complete_item("a") is False  # b is still to do
    assert roadmap.status == RoadmapStatus.IN_PROGRESS
    assert roadmap.percent == Decimal("50.0")
    # Completing by hand counts as 100 %, whatever the modules say.
    assert roadmap.complete_item("b") is True
    assert roadmap.percent == Decimal("100.0")


def test_withdrawing_any_item_but_a_completed_one(roadmap: Roadmap) -> None:
    roadmap.request_item("pending", goal())
    roadmap.suggest_item("suggested", goal(), MENTOR_ID)
    approved(roadmap, "started")
    roadmap.mark_module("started", "m1", True)
    for item_id in ("pending", "suggested", "started"):
        assert roadmap.withdraw(item_id, "Moved to another city") is False
        item = roadmap.item(item_id)
        assert (item.status, item.reason) == (
            ItemStatus.WITHDRAWN,
            "Moved to another city",
        )
    assert [s for s, _ in roadmap.item("started").history] == [
        "PENDING_APPROVAL",
        "NOT_STARTED",
        "IN_PROGRESS",
        "WITHDRAWN",
    ]  # its history kept
    with pytest.raises(ConflictError):
        roadmap.withdraw("started")


def test_withdrawing_the_last_open_item_completes_the_roadmap(
    roadmap: Roadmap,
) -> None:
    approved(roadmap, "done", goal(0))
    approved(roadmap, "left", goal(2))
    roadmap.mark_module("left", "m1", True)
    roadmap.complete_item("done")
    assert roadmap.percent == Decimal("75.0")
    assert roadmap.withdraw("left") is True
    assert (roadmap.status, roadmap.completions, roadmap.percent) == (
        RoadmapStatus.COMPLETED,
        1,
        Decimal("100.0"),
    )
    # A new item to do: no longer completed; done again: the second completion.
    approved(roadmap, "new", goal(0))
    assert roadmap.status == RoadmapStatus.IN_PROGRESS
    assert roadmap.complete_item("new") is True
    assert roadmap.completions == 2


def test_the_roadmap_status_is_derived_from_the_items_on_it(roadmap: Roadmap) -> None:
    assert status(roadmap) == RoadmapStatus.NOT_STARTED
    roadmap.request_item("waiting", goal())
    approved(roadmap, "a")
    assert status(roadmap) == RoadmapStatus.NOT_STARTED
    roadmap.start_item("a")
    assert status(roadmap) == RoadmapStatus.IN_PROGRESS
    approved(roadmap, "b")
    roadmap.complete_item("a")
    assert status(roadmap) == RoadmapStatus.IN_PROGRESS  # b not started
    roadmap.withdraw("b")
    # Waiting items are not on the roadmap: it is completed.
    assert status(roadmap) == RoadmapStatus.COMPLETED


def test_deadlines_and_module_due_dates_move(roadmap: Roadmap) -> None:
    approved(roadmap, "a", goal(2, deadline="2026-04-01", m1="2026-03-20"))
    roadmap.move_deadline("a", "deadline", "2026-04-15")
    roadmap.move_deadline("a", "m1", None)  # a module's due date may go
    roadmap.move_deadline("a", "m2", "2026-03-25T17:00:00+01:00")
    item = roadmap.item("a")
    assert [(d.id, d.due) for d in item.deadlines] == [("deadline", "2026-04-15")]
    assert [(m.id, m.due) for m in item.modules] == [
        ("m1", None),
        ("m2", "2026-03-25T17:00:00+01:00"),
    ]
    roadmap.collect_events()
    roadmap.move_deadline("a", "deadline", "2026-04-15")
    assert list(roadmap.collect_events()) == []
    for target, due in (
        ("deadline", None),
        ("deadline", "April"),
        ("m1", "2026-13-01"),
    ):
        with pytest.raises(InvalidFieldError) as refused:
            roadmap.move_deadline("a", target, due)
        assert refused.value.field == "due"
    with pytest.raises(NotFoundError):
        roadmap.move_deadline("a", "d7", "2026-04-15")


# --- Progress and its one rounding ----------------------------------------------------


def test_progress_is_the_mean_over_approved_items_not_withdrawn(
    roadmap: Roadmap,
) -> None:
    approved(roadmap, "third", goal(3))
    approved(roadmap, "none", goal(0))
    approved(roadmap, "half", goal(2))
    approved(roadmap, "done", goal(1))
    approved(roadmap, "gone", goal(2))
    roadmap.request_item("waiting", goal(1))
    roadmap.suggest_item("suggested", goal(1), MENTOR_ID)
    roadmap.mark_module("third", "m1", True)
    roadmap.mark_module("half", "m1", True)
    roadmap.mark_module("done", "m1", True)  # its only module: completed
    roadmap.mark_module("gone", "m1", True)
    roadmap.withdraw("gone")  # left out, as are the waiting and suggested ones
    # (100/3 + 0 + 50 + 100) / 4 = 45.8333...
    assert roadmap.progress == Fraction(550, 12)
    assert roadmap.percent == Decimal("45.8")
    assert roadmap.item_percent("waiting") == Decimal("0.0")


@pytest.mark.parametrize(
    ("exact", "shown"),
    [
        (Fraction(0), "0.0"),
        (Fraction(100), "100.0"),
        (Fraction(3325, 100), "33.3"),  # a half: up
        (Fraction(3324, 100), "33.2"),
        (Fraction(625, 100), "6.3"),
        (Fraction(1, 20), "0.1"),
        (Fraction(1, 20) - Fraction(1, 10**9), "0.0"),
        (Fraction(100, 3), "33.3"),
        (Fraction(200, 3), "66.7"),
        (Fraction(99949, 1000), "99.9"),
        (Fraction(99950, 1000), "100.0"),
        (Fraction(100, 7), "14.3"),
    ],
)
def test_percent_rounds_once_to_one_decimal_halves_up(
    exact: Fraction, shown: str
) -> None:
    figure = percent(exact)
    assert figure == Decimal(shown)
    assert str(figure) == shown  # always one decimal place


@given(
    st.lists(
        st.tuples(st.integers(0, 12), st.integers(0, 12), st.booleans()), max_size=12
    )
)
def test_the_formula_for_any_items(items: list[tuple[int, int, bool]]) -> None:
    figures = [
        ItemFigures(min(done, total), total, completed)
        for done, total, completed in items
    ]
    expected = [
        Fraction(100)
        if f.completed
        else Fraction(100 * f.done_modules, f.total_modules)
        if f.total_modules
        else Fraction(0)
        for f in figures
    ]
    assert [item_progress(f) for f in figures] == expected
    exact = sum(expected, Fraction(0)) / len(expected) if expected else Fraction(0)
    assert roadmap_progress(figures) == exact
    with localcontext() as context:
        context.prec = 60
        decimal = Decimal(exact.numerator) / Decimal(exact.denominator)
        assert percent(exact) == decimal.quantize(Decimal("0.1"), ROUND_HALF_UP)
    assert Decimal(0) <= percent(exact) <= Decimal(100)


# --- Time in each status, history ---------------------------------------------------


def test_each_item_knows_when_it_entered_each_status(
    roadmap: Roadmap, clock: Clock
) -> None:
    roadmap.request_item("a", goal(1))
    asked = clock.now
    clock.passes(days=2)
    roadmap.approve("a")
    approved_at = clock.now
    clock.passes(days=5)
    roadmap.start_item("a")
    started = clock.now
    clock.passes(days=3)
    roadmap.mark_module("a", "m1", True)
    history = roadmap.item("a").history
    assert [s for s, _ in history] == [
        "PENDING_APPROVAL",
        "NOT_STARTED",
        "IN_PROGRESS",
        "COMPLETED",
    ]
    moments = [datetime.fromisoformat(at) for _, at in history]
    assert moments[:3] == [asked, approved_at, started]
    assert moments[3] - moments[2] >= timedelta(days=3)
    assert roadmap.item("a").completed_at == history[3][1]
    assert datetime.fromisoformat(roadmap.last_activity_at) >= moments[3]


def test_the_roadmap_as_of_a_moment_and_its_progress_over_time(
    roadmap: Roadmap, clock: Clock
) -> None:
    events = list(roadmap.collect_events())
    created = clock.now
    clock.passes(days=1)
    approved(roadmap, "a", goal(2))
    approved(roadmap, "b", goal(0))
    events += roadmap.collect_events()
    before_progress = clock.now
    clock.passes(days=1)
    roadmap.mark_module("a", "m1", True)
    events += roadmap.collect_events()
    quarter = clock.now
    clock.passes(days=1)
    roadmap.withdraw("b")
    roadmap.request_item("c", goal())
    events += roadmap.collect_events()

    assert as_of(events, created - timedelta(seconds=1)) is None
    then = as_of(events, before_progress)
    assert then is not None
    assert (then.percent, then.status) == (Decimal("0.0"), RoadmapStatus.NOT_STARTED)
    assert [i.id for i in then.on_roadmap] == ["a", "b"]
    then = as_of(events, quarter)
    assert then is not None
    assert (then.percent, then.item("b").status) == (
        Decimal("25.0"),
        ItemStatus.NOT_STARTED,
    )
    now = as_of(events, clock.now)
    assert now is not None
    assert (now.percent, set(now.items)) == (Decimal("50.0"), {"a", "b", "c"})

    history = progress_history(events)
    assert [figure for _, figure in history] == [
        Decimal("0.0"),
        Decimal("25.0"),
        Decimal("50.0"),
    ]
    assert history[0][0] == events[0].timestamp
    assert history[1][0] == quarter


# --- Reminders ---------------------------------------------------------------------


def test_an_item_awaiting_approval_alerts_the_mentor_after_three_days(
    roadmap: Roadmap, clock: Clock
) -> None:
    roadmap.request_item("a", goal())
    asked = clock.now
    [alert] = roadmap.due_timers()
    assert (alert.kind, alert.subject, alert.due_at, alert.recipient) == (
        "approval_overdue",
        "a",
        asked + timedelta(days=3),
        "mentor",
    )
    roadmap.approve("a")
    assert "approval_overdue" not in {t.kind for t in roadmap.due_timers()}


def test_deadline_reminders_a_week_and_a_day_before(
    roadmap: Roadmap, clock: Clock
) -> None:
    approved(roadmap, "a", goal(2, deadline="2026-04-01", m1="2026-03-20"))
    april, march = datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 3, 20, tzinfo=UTC)
    assert {k for k in keys(roadmap) if k[0] != "nudge"} == {
        ("deadline_7d", "a/deadline", april - timedelta(days=7)),
        ("deadline_1d", "a/deadline", april - timedelta(days=1)),
        ("deadline_7d", "a/m1", march - timedelta(days=7)),
        ("deadline_1d", "a/m1", march - timedelta(days=1)),
    }
    # A module done no longer needs its reminders; a moved deadline moves them.
    roadmap.mark_module("a", "m1", True)
    roadmap.move_deadline("a", "deadline", "2026-04-10")
    april10 = datetime(2026, 4, 10, tzinfo=UTC)
    assert {k for k in keys(roadmap) if k[0] != "nudge"} == {
        ("deadline_7d", "a/deadline", april10 - timedelta(days=7)),
        ("deadline_1d", "a/deadline", april10 - timedelta(days=1)),
    }
    roadmap.complete_item("a")
    assert {k[0] for k in keys(roadmap)} == {"feedback_form"}


def test_a_reminder_already_past_when_scheduled_is_not_sent_late(
    roadmap: Roadmap, clock: Clock
) -> None:
    # Approved five days before the deadline: the week's reminder is past.
    approved(roadmap, "a", goal(0, deadline="2026-03-07"))
    assert {k[0] for k in keys(roadmap) if k[1] == "a/deadline"} == {"deadline_1d"}
    # Due exactly when (re)scheduled: still sent.
    moved_at = clock.now + timedelta(microseconds=1)  # the next event's moment
    roadmap.move_deadline("a", "deadline", (moved_at + timedelta(days=7)).isoformat())
    assert roadmap.item("a").scheduled_since == moved_at.isoformat()
    assert {k for k in keys(roadmap) if k[1] == "a/deadline"} == {
        ("deadline_7d", "a/deadline", moved_at),
        ("deadline_1d", "a/deadline", moved_at + timedelta(days=6)),
    }


def test_a_nudge_after_fourteen_days_without_progress(
    roadmap: Roadmap, clock: Clock
) -> None:
    assert roadmap.due_timers() == []
    approved(roadmap, "a", goal(2))
    first = datetime.fromisoformat(roadmap.item("a").approved_at or "")
    assert ("nudge", str(roadmap.id), first + timedelta(days=14)) in keys(roadmap)
    clock.passes(days=10)
    roadmap.mark_module("a", "m1", True)
    progressed = datetime.fromisoformat(roadmap.progressed_at or "")
    assert progressed > first
    nudges = {k for k in keys(roadmap) if k[0] == "nudge"}
    assert nudges == {("nudge", str(roadmap.id), progressed + timedelta(days=14))}
    clock.passes(days=1)
    roadmap.mark_module("a", "m1", False)  # undone: no step forward
    assert roadmap.progressed_at == progressed.isoformat()
    assert {k for k in keys(roadmap) if k[0] == "nudge"} == nudges
    roadmap.mark_module("a", "m1", True)
    roadmap.mark_module("a", "m2", True)  # nothing open: no nudge
    assert {k for k in keys(roadmap) if k[0] == "nudge"} == set()


def test_a_roadmap_with_something_to_do_again_is_not_nudged_at_once(
    roadmap: Roadmap, clock: Clock
) -> None:
    approved(roadmap, "a", goal(0))
    roadmap.complete_item("a")
    clock.passes(days=30)
    approved(roadmap, "b", goal(1))
    approved_at = datetime.fromisoformat(roadmap.item("b").approved_at or "")
    assert {k for k in keys(roadmap) if k[0] == "nudge"} == {
        ("nudge", str(roadmap.id), approved_at + timedelta(days=14))
    }


def test_a_reminder_is_sent_once_and_only_when_due(
    roadmap: Roadmap, clock: Clock
) -> None:
    roadmap.request_item("a", goal())
    [alert] = roadmap.due_timers()
    early = alert.due_at - timedelta(seconds=1)
    assert not roadmap.send_reminder(alert.kind, "a", alert.due_at, early, MENTOR_ID)
    # A mentor's alert needs a mentor.
    assert not roadmap.send_reminder(alert.kind, "a", alert.due_at, alert.due_at, None)
    assert roadmap.send_reminder(alert.kind, "a", alert.due_at, alert.due_at, MENTOR_ID)
    sent = [e for e in roadmap.collect_events() if isinstance(e, Roadmap.ReminderSent)]
    assert [(e.kind, e.subject, e.recipient_ids, e.item_id) for e in sent] == [
        ("approval_overdue", "a", [MENTOR_ID], "a")
    ]
    assert roadmap.due_timers() == []
    later = alert.due_at + timedelta(days=1)
    assert not roadmap.send_reminder(alert.kind, "a", alert.due_at, later, MENTOR_ID)
    # Not due any more (another due time, or gone): nothing.
    assert not roadmap.send_reminder("nudge", "x", alert.due_at, later, MENTOR_ID)


def test_a_reminder_sent_is_not_activity_on_the_roadmap(
    roadmap: Roadmap, clock: Clock
) -> None:
    roadmap.request_item("a", goal())
    asked = roadmap.last_activity_at
    [alert] = roadmap.due_timers()
    clock.passes(days=4)
    assert roadmap.send_reminder(alert.kind, "a", alert.due_at, clock.now, MENTOR_ID)
    assert roadmap.last_activity_at == asked


def test_the_feedback_form_when_completed_until_feedback_is_given(
    roadmap: Roadmap,
) -> None:
    approved(roadmap, "a", goal(0))
    roadmap.complete_item("a")
    completed = datetime.fromisoformat(roadmap.completed_at or "")
    assert keys(roadmap) == {("feedback_form", "completion-1", completed)}
    [form] = roadmap.due_timers()
    assert form.recipient == "candidate"
    roadmap.give_feedback(4)
    assert keys(roadmap) == set()


# --- Feedback ------------------------------------------------------------------------


def test_feedback_is_for_a_completed_roadmap(roadmap: Roadmap) -> None:
    with pytest.raises(ConflictError):
        roadmap.give_feedback(5)
    approved(roadmap, "a", goal(0))
    approved(roadmap, "b", goal(0))
    roadmap.complete_item("a")
    with pytest.raises(ConflictError):
        roadmap.give_feedback(5)
    roadmap.complete_item("b")
    for rating in (0, 6, True, "5", 4.5, None):
        with pytest.raises(InvalidFieldError) as refused:
            roadmap.give_feedback(rating)
        assert refused.value.field == "rating"
    with pytest.raises(InvalidFieldError) as unknown:
        roadmap.give_feedback(5, None, {"zzz": 3})
    assert unknown.value.field == "items.zzz"
    with pytest.raises(InvalidFieldError) as bad_item:
        roadmap.give_feedback(5, None, {"a": 9})
    assert bad_item.value.field == "items.a"
    roadmap.give_feedback(4, "Helpful", {"a": 5})
    assert roadmap.feedback is not None
    assert {k: roadmap.feedback[k] for k in ("rating", "comment", "item_ratings")} == {
        "rating": 4,
        "comment": "Helpful",
        "item_ratings": {"a": 5},
    }
    roadmap.give_feedback(2)  # again: replaces it
    assert (roadmap.feedback["rating"], roadmap.feedback["comment"]) == (2, None)
    # A new item reopens the roadmap: no feedback until it is completed again.
    approved(roadmap, "c", goal(0))
    with pytest.raises(ConflictError):
        roadmap.give_feedback(5)


# --- Erasure --------------------------------------------------------------------------


def test_an_erased_roadmap_no_longer_changes(roadmap: Roadmap) -> None:
    approved(roadmap, "a", goal(0))
    roadmap.request_item("b", goal())
    roadmap.complete_item("a")
    roadmap.give_feedback(5, "Great")
    roadmap.erase()
    assert roadmap.erased
    assert roadmap.feedback is None
    assert roadmap.due_timers() == []
    roadmap.collect_events()
    roadmap.erase()
    assert list(roadmap.collect_events()) == []
    changes: list[Callable[[], object]] = [
        lambda: roadmap.request_item("c", goal()),
        lambda: roadmap.suggest_item("c", goal(), MENTOR_ID),
        lambda: roadmap.approve("b"),
        lambda: roadmap.decline("b", "No"),
        lambda: roadmap.withdraw("b"),
        lambda: roadmap.reorder(["a"]),
        lambda: roadmap.mark_module("a", "m1", True),
        lambda: roadmap.start_item("a"),
        lambda: roadmap.complete_item("a"),
        lambda: roadmap.move_deadline("a", "m1", None),
        lambda: roadmap.give_feedback(3),
    ]
    for change in changes:
        with pytest.raises(GoneError):
            change()
    assert list(roadmap.collect_events()) == []


def test_a_deadline_moves_alone_when_a_module_has_the_same_id(
    roadmap: Roadmap,
) -> None:
    # An NPO names its modules: one may be called as the copied deadline is.
    spec = ItemSpec.offering(
        offering_id="off-9",
        version=1,
        npo_id="npo-1",
        title="Course",
        modules=[("d1", "Lesson one")],
        deadlines=[("Enrol by", "2026-04-01")],
    )
    approved(roadmap, "a", spec)
    roadmap.move_deadline("a", "d1", "2026-04-20")
    item = roadmap.item("a")
    assert [(d.id, d.due) for d in item.deadlines] == [("d1", "2026-04-20")]
    assert [(m.id, m.due) for m in item.modules] == [("d1", None)]


def test_an_erased_roadmap_in_memory_keeps_no_text_of_the_person(
    roadmap: Roadmap,
) -> None:
    # A roadmap held in a cache when the person is erased reads as one loaded
    # from the store after their key is gone: every text erased.
    roadmap.request_item(
        "a",
        ItemSpec.goal("Secret plan", "Details", [{"title": "Step one"}], "2030-01-01"),
    )
    roadmap.decline("a", "Private reason")
    roadmap.erase()
    item = roadmap.items["a"]
    assert (item.title, item.description, item.reason) == (ERASED, None, ERASED)
    assert [m.title for m in item.modules] == [ERASED]
    assert [d.title for d in item.deadlines] == [ERASED]
