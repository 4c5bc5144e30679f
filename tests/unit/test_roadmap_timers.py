"""The roadmaps' due timers (``projections.careers.timers``) and the timer worker
(``adapters.reminders``) on the embedded stores, driven by command messages
through the careers dispatcher, with an injected clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.bootstrap import build_container
from adapters.embedded.bus import InMemoryMessageBus
from adapters.embedded.cache import InMemoryCache
from adapters.embedded.documents import InMemoryDocumentStore
from adapters.embedded.views import SqliteRelationalStore
from adapters.reminders import ReminderWorker, system_clock
from adapters.settings import Settings
from commands.base import Actor
from commands.careers.application import CareersApplication
from commands.careers.messages import (
    CompleteRoadmapItem,
    EraseCandidate,
    MoveDeadline,
    SendRoadmapReminder,
    WithdrawRoadmapItem,
)
from domain.base import NotAllowedError
from domain.careers.roadmap import APPROVAL_ALERT_AFTER, NUDGE_AFTER, Roadmap
from projections.careers.timers import (
    TIMERS_PROJECTION,
    DueTimer,
    DueTimers,
    roadmap_timers_for,
)
from projections.careers.views import careers_projections
from projections.contracts import ViewPorts
from projections.engine import ProjectionEngine
from queries.scheduling.notifications import list_notifications
from tests.support.mentoring import Careers
from tests.support.roadmap import MentoredCandidate, goal

DEADLINE = "2030-06-01"
DUE = datetime(2030, 6, 1, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def careers() -> Iterator[Careers]:
    app = Careers()
    yield app
    app.close()


@pytest.fixture
def views() -> Iterator[SqliteRelationalStore]:
    store = SqliteRelationalStore(None)
    yield store
    store.close()


def engine_for(careers: Careers, views: SqliteRelationalStore) -> ProjectionEngine:
    apps: dict[str, Any] = {"careers": careers.app}
    return ProjectionEngine(
        views,
        apps,
        roadmap_timers_for(apps),
        ViewPorts(InMemoryDocumentStore(), InMemoryCache(), InMemoryMessageBus()),
    )


@pytest.fixture
def engine(careers: Careers, views: SqliteRelationalStore) -> ProjectionEngine:
    return engine_for(careers, views)


def timers(engine: ProjectionEngine, views: SqliteRelationalStore) -> list[DueTimer]:
    while engine.catch_up():
        pass
    with views.transaction() as session:
        return DueTimers.all(session)


def kinds(found: list[DueTimer]) -> set[tuple[str, str, datetime]]:
    return {(t.kind, t.subject, t.due_at) for t in found}


def reminders_sent(roadmap: Roadmap) -> list[str]:
    return list(roadmap.sent_reminders)


def stamp(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- Timers appear and disappear -----------------------------------------------------


def test_a_request_waits_for_approval_and_the_mentor_is_alerted_after_3_days(
    careers: Careers, engine: ProjectionEngine, views: SqliteRelationalStore
) -> None:
    person = MentoredCandidate(careers)
    item = person.request(goal(deadline=DEADLINE))

    # Check the only timer is the mentor's alert, 3 days after the request.
    roadmap = person.roadmap()
    requested = stamp(roadmap.item(item).requested_at)
    [alert] = timers(engine, views)
    assert (alert.kind, alert.subject, alert.recipient, alert.item_id) == (
        "approval_overdue",
        item,
        "mentor",
        item,
    )
    assert alert.due_at == requested + APPROVAL_ALERT_AFTER
    assert alert.candidate_id == person.candidate_id


def test_an_approved_item_has_deadline_reminders_and_a_nudge(
    careers: Careers, engine: ProjectionEngine, views: SqliteRelationalStore
) -> None:
    person = MentoredCandidate(careers)
    item = person.request(goal(deadline=DEADLINE))
    person.approve(item)

    # Check the alert is gone; deadline reminders 7 and 1 days before, a nudge 14
    # days after the approval (no progress yet), all for the candidate.
    approved = stamp(person.roadmap().item(item).approved_at or "")
    found = timers(engine, views)
    assert kinds(found) == {
        ("deadline_7d", f"{item}/deadline", DUE - timedelta(days=7)),
        ("deadline_1d", f"{item}/deadline", DUE - timedelta(days=1)),
        ("nudge", str(Roadmap.id_for(person.candidate_id)), approved + NUDGE_AFTER),
    }
    assert {t.recipient for t in found} == {"candidate"}


def test_progress_moves_the_nudge(
    careers: Careers, engine: ProjectionEngine, views: SqliteRelationalStore
) -> None:
    person = MentoredCandidate(careers)
    item = person.request(goal())
    person.approve(item)
    [before] = timers(engine, views)

    person.mark(item, "m1")

    # Check the nudge now counts 14 days from the module marked done.
    [after] = timers(engine, views)
    progressed = stamp(person.roadmap().progressed_at or "")
    assert after.kind == before.kind == "nudge"
    assert after.due_at == progressed + NUDGE_AFTER > before.due_at


def test_a_moved_deadline_replaces_its_reminders(
    careers: Careers, engine: ProjectionEngine, views: SqliteRelationalStore
) -> None:
    person = MentoredCandidate(careers)
    item = person.request(goal(deadline=DEADLINE))
    person.approve(item)
    timers(engine, views)

    careers.send(
        MoveDeadline(
            actor=person.as_candidate,
            candidate_id=person.candidate_id,
            item_id=item,
            target_id="deadline",
            due="2030-07-01",
        )
    )

    # Check only the new date's reminders are left.
    moved = datetime(2030, 7, 1, tzinfo=UTC)
    deadline_timers = {
        t.due_at for t in timers(engine, views) if t.kind.startswith("deadline")
    }
    assert deadline_timers == {moved - timedelta(days=7), moved - timedelta(days=1)}


def test_a_withdrawn_item_has_no_timers(
    careers: Careers, engine: ProjectionEngine, views: SqliteRelationalStore
) -> None:
    person = MentoredCandidate(careers)
    item = person.request(goal(deadline=DEADLINE))
    person.approve(item)
    assert timers(engine, views)

    careers.send(
        WithdrawRoadmapItem(
            actor=person.as_candidate, candidate_id=person.candidate_id, item_id=item
        )
    )

    # Check nothing is left to remind of (no open item, no deadline).
    assert timers(engine, views) == []


def test_completing_the_roadmap_leaves_only_the_feedback_form(
    careers: Careers, engine: ProjectionEngine, views: SqliteRelationalStore
) -> None:
    person = MentoredCandidate(careers)
    item = person.request(goal(deadline=DEADLINE))
    person.approve(item)
    assert timers(engine, views)

    careers.send(
        CompleteRoadmapItem(
            actor=person.as_candidate, candidate_id=person.candidate_id, item_id=item
        )
    )

    # Check the deadline reminders and the nudge are gone; the form is due now.
    [form] = timers(engine, views)
    roadmap = person.roadmap()
    assert (form.kind, form.subject, form.recipient) == (
        "feedback_form",
        "completion-1",
        "candidate",
    )
    assert form.due_at == stamp(roadmap.completed_at or "")


def test_an_erased_candidate_has_no_timers(
    careers: Careers, engine: ProjectionEngine, views: SqliteRelationalStore
) -> None:
    person = MentoredCandidate(careers)
    person.approve(person.request(goal(deadline=DEADLINE)))
    assert timers(engine, views)

    careers.send(
        EraseCandidate(actor=Actor.system("erase"), candidate_id=person.candidate_id)
    )

    assert timers(engine, views) == []


def test_a_rebuild_gives_the_same_rows(
    careers: Careers, engine: ProjectionEngine, views: SqliteRelationalStore
) -> None:
    people = [MentoredCandidate(careers) for _ in range(3)]
    for n, person in enumerate(people):
        first = person.request(goal(deadline=DEADLINE))
        person.approve(first)
        person.mark(first, "m1")
        person.request(goal(deadline="2031-01-0" + str(n + 1)))
    live = timers(engine, views)

    engine.rebuild(TIMERS_PROJECTION)

    assert timers(engine, views) == live
    assert len(live) == 3 * 4  # per person: 2 deadline reminders, a nudge, an alert


def test_the_careers_views_hold_the_timers_only_where_careers_runs(
    careers: Careers,
) -> None:
    names = [p.name for p in careers_projections({"careers": careers.app})]
    assert TIMERS_PROJECTION in names
    assert roadmap_timers_for({}) == []


# --- The worker -----------------------------------------------------------------------


def worker(
    careers: Careers, views: SqliteRelationalStore, clock: Clock, batch_size: int = 50
) -> ReminderWorker:
    return ReminderWorker(
        views, careers.dispatcher.dispatch, clock, batch_size=batch_size
    )


def test_the_worker_sends_what_is_due_at_its_clock_once(
    careers: Careers, engine: ProjectionEngine, views: SqliteRelationalStore
) -> None:
    person = MentoredCandidate(careers)
    item = person.request(goal(deadline=DEADLINE))
    person.approve(item)
    timers(engine, views)
    clock = Clock(DUE - timedelta(days=8))

    # Check nothing is due 8 days before the deadline (the nudge came earlier: it
    # is sent then, the first time the worker looks).
    nudged = worker(careers, views, clock).run_until_idle()
    assert nudged == 1
    assert [k.split("|")[0] for k in reminders_sent(person.roadmap())] == ["nudge"]

    # Check the 7-day reminder is sent once, even by two workers, and leaves the
    # view; the 1-day one waits.
    clock.now = DUE - timedelta(days=6)
    timers(engine, views)
    first, second = worker(careers, views, clock), worker(careers, views, clock)
    assert first.run_until_idle() == 1
    assert second.run_until_idle() == 0
    timers(engine, views)
    second.run_until_idle()
    sent = reminders_sent(person.roadmap())
    assert [k.split("|")[0] for k in sent] == ["nudge", "deadline_7d"]
    assert [t.kind for t in timers(engine, views)] == ["deadline_1d"]


def test_sending_a_reminder_twice_records_it_once(careers: Careers) -> None:
    person = MentoredCandidate(careers)
    item = person.request(goal())
    [alert] = person.roadmap().due_timers()
    now = alert.due_at + timedelta(minutes=1)

    for _ in range(2):
        careers.send(
            SendRoadmapReminder(
                actor=Actor.system("timer"),
                candidate_id=person.candidate_id,
                kind=alert.kind.value,
                subject=item,
                due_at=alert.due_at,
                now=now,
            )
        )

    roadmap = person.roadmap()
    assert reminders_sent(roadmap) == [alert.key]
    assert roadmap.due_timers() == []


def test_only_the_platform_sends_reminders(careers: Careers) -> None:
    person = MentoredCandidate(careers)
    item = person.request(goal())
    [alert] = person.roadmap().due_timers()
    with pytest.raises(NotAllowedError):
        careers.send(
            SendRoadmapReminder(
                actor=person.as_mentor,
                candidate_id=person.candidate_id,
                kind=alert.kind.value,
                subject=item,
                due_at=alert.due_at,
                now=alert.due_at,
            )
        )


def test_a_timer_whose_condition_went_before_the_view_caught_up_sends_nothing(
    careers: Careers, engine: ProjectionEngine, views: SqliteRelationalStore
) -> None:
    person = MentoredCandidate(careers)
    item = person.request(goal())
    [alert] = timers(engine, views)
    person.approve(item)  # the view has not seen it yet

    handled = worker(careers, views, Clock(alert.due_at)).run_until_idle()

    # Check the worker took the stale row and the roadmap recorded nothing.
    assert handled == 1
    assert reminders_sent(person.roadmap()) == []


def test_the_process_clock_is_the_system_clock_shifted_by_the_setting() -> None:
    shifted = system_clock(3600)()
    assert abs(shifted - datetime.now(UTC) - timedelta(hours=1)) < timedelta(seconds=5)
    assert Settings(reminders_clock_offset_seconds=60).reminders_clock_offset_seconds
    with pytest.raises(ValueError, match="CLOCK_OFFSET"):
        Settings(environment="production", reminders_clock_offset_seconds=60)


# --- Composed -------------------------------------------------------------------------


def test_the_composition_root_runs_the_worker_unless_it_is_turned_off() -> None:
    off = build_container(Settings(event_store="popo", reminders_enabled=False))
    off.close()
    assert off.reminders is None

    clock = Clock(datetime.now(UTC) + timedelta(days=4))
    built = build_container(Settings(event_store="popo"), reminder_clock=clock)
    try:
        assert built.reminders is not None
        careers = Careers(built.application(CareersApplication))
        person = MentoredCandidate(careers)
        item = person.request(goal())
        while built.engine.catch_up():
            pass

        # Check the due alert goes through the view, the worker and the dispatcher
        # to the mentor's notifications, once.
        assert built.reminders.run_until_idle() == 1
        assert built.reminders.run_until_idle() == 0
        while built.engine.catch_up():
            pass
        notices = list_notifications(built.views, person.mentor_id).items
        [alert] = [n for n in notices if n.kind == "roadmap_approval_overdue"]
        assert alert.payload["item_id"] == item
        assert alert.payload["candidate_id"] == person.candidate_id
    finally:
        built.close()
