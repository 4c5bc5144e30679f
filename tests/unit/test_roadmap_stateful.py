"""The roadmap under any sequence of decisions (hypothesis state machine).

Random requests and suggestions (goals and offerings), approvals at random
positions, declines, accepted and declined suggestions, module marks, starts,
completions, withdrawals, reorders, deadline moves, feedback, reminders sent, erasure
and time passing drive one ``Roadmap``, beside a plain model of the rules. After
every step:

- each refusal is the one the rules give, and the items' statuses, modules, order
  and the roadmap's completions are the model's;
- progress is in [0, 100] and equals the documented formula recomputed from the
  model (done over total modules, 100 when completed, 0 without modules; the mean
  over approved, not withdrawn items; one decimal, halves up), so withdrawn and
  unapproved items are left out;
- the roadmap's status is the one its items give;
- the due reminders are exactly the ones the rules give, less those sent;
- ``as_of`` at every earlier step's moment gives the roadmap as it was seen then, and
  ``progress_history`` is the sequence of the figures seen.

The clock is the test's: every event of a step carries the step's moment, and each
step is later than the one before (by a microsecond, or by the time that passes).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import partial
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from domain.base import (
    ConflictError,
    DomainError,
    GoneError,
    InvalidFieldError,
    NotFoundError,
)
from domain.careers.roadmap import Roadmap, as_of, progress_history
from domain.careers.roadmap_items import ItemSpec, due_instant

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CANDIDATE_ID = "c0ffee00-0000-4000-8000-000000000001"
MENTOR_ID = "c0ffee00-0000-4000-8000-000000000002"
OFFERINGS = ("offering-a", "offering-b", "offering-c")
ITEM_IDS = [f"item-{n}" for n in range(8)]
ITEM = st.sampled_from(ITEM_IDS)

WAITING = {"PENDING_APPROVAL", "SUGGESTED"}
OPEN = {"NOT_STARTED", "IN_PROGRESS"}
ON = {"NOT_STARTED", "IN_PROGRESS", "COMPLETED"}


# --- What is asked for --------------------------------------------------------------


@st.composite
def dues(draw: st.DrawFn) -> str:
    """A due date within the weeks the machine runs: a date or a date-time with an
    offset."""
    day = START.date() + timedelta(days=draw(st.integers(0, 45)))
    if draw(st.booleans()):
        return day.isoformat()
    hour = draw(st.integers(0, 23))
    offset = draw(st.sampled_from(["Z", "+02:00", "-05:00"]))
    return f"{day.isoformat()}T{hour:02d}:30:00{offset}"


@st.composite
def specs(draw: st.DrawFn) -> ItemSpec:
    modules = draw(st.integers(0, 4))
    if draw(st.booleans()):
        return ItemSpec.goal(
            "A goal",
            None,
            [
                {"title": f"Module {n}", "due": draw(st.none() | dues())}
                for n in range(modules)
            ],
            draw(st.none() | dues()),
        )
    return ItemSpec.offering(
        offering_id=draw(st.sampled_from(OFFERINGS)),
        version=1,
        npo_id="npo-1",
        title="An offering",
        modules=[(f"o{n}", f"Part {n}") for n in range(modules)],
        deadlines=[("Ends", draw(dues())) for _ in range(draw(st.integers(0, 2)))],
    )


# --- The model ----------------------------------------------------------------------


@dataclass
class ModelItem:
    status: str
    requested_at: datetime
    offering_id: str | None
    modules: dict[str, bool]  # id -> done
    module_dues: dict[str, str | None]
    deadlines: dict[str, str]
    history: list[tuple[str, datetime]] = field(default_factory=list)
    scheduled_since: datetime | None = None
    approved_at: datetime | None = None

    def move(self, status: str, now: datetime) -> None:
        if status != self.status:
            self.status = status
            self.history.append((status, now))


def exact_item_progress(item: ModelItem) -> Fraction:
    if item.status == "COMPLETED":
        return Fraction(100)
    if not item.modules:
        return Fraction(0)
    return Fraction(100 * sum(item.modules.values()), len(item.modules))


def one_decimal_halves_up(exact: Fraction) -> Decimal:
    tenths = exact * 10
    rounded = int(tenths) + (1 if tenths - int(tenths) >= Fraction(1, 2) else 0)
    return Decimal(rounded).scaleb(-1).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Seen:
    """What one can observe of a roadmap at a moment."""

    status: str
    percent: Decimal
    items: tuple[tuple[Any, ...], ...]
    on_roadmap: tuple[str, ...]
    awaiting: tuple[str, ...]
    timers: tuple[str, ...]
    completions: int
    feedback: Any
    erased: bool
    last_activity_at: str
    progressed_at: str | None


def seen(roadmap: Roadmap) -> Seen:
    return Seen(
        status=roadmap.status.value,
        percent=roadmap.percent,
        items=tuple(
            (
                i.id,
                i.status.value,
                roadmap.item_percent(i.id),
                tuple((m.id, m.done, m.due) for m in i.modules),
                tuple((d.id, d.due) for d in i.deadlines),
                tuple(i.history),
                i.reason,
            )
            for i in sorted(roadmap.items.values(), key=lambda i: i.id)
        ),
        on_roadmap=tuple(i.id for i in roadmap.on_roadmap),
        awaiting=tuple(sorted(i.id for i in roadmap.awaiting_approval)),
        timers=tuple(sorted(t.key for t in roadmap.due_timers())),
        completions=roadmap.completions,
        feedback=None if roadmap.feedback is None else dict(roadmap.feedback),
        erased=roadmap.erased,
        last_activity_at=roadmap.last_activity_at,
        progressed_at=roadmap.progressed_at,
    )


class RoadmapMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = START
        self._clock = patch(
            "eventsourcing.domain.datetime_now_with_tzinfo", lambda: self.now
        )
        self._clock.start()
        self.roadmap = Roadmap.start(CANDIDATE_ID)
        self.events: list[Any] = list(self.roadmap.collect_events())
        self.items: dict[str, ModelItem] = {}
        self.order: list[str] = []  # the items on the roadmap, most important first
        self.progressed_at: datetime | None = None
        self.completions = 0
        self.completed_at: datetime | None = None
        self.feedback_for: int | None = None
        self.sent: set[str] = set()
        self.erased = False
        self.ever_approved = False
        self.moments: list[tuple[datetime, Seen]] = [(START, seen(self.roadmap))]

    def teardown(self) -> None:
        event(f"steps: {len(self.moments) // 10 * 10}+")
        event(f"statuses: {sorted({m.status for m in self.items.values()})}")
        event(f"completions: {self.completions}, reminders sent: {len(self.sent)}")
        self._clock.stop()

    # -- Running a step --------------------------------------------------------------

    def step(
        self, refusal: type[DomainError] | None, action: Any, change: bool = True
    ) -> Any:
        """Run ``action`` at a new moment: refused with exactly ``refusal`` (the
        roadmap unchanged), or not; then record what is seen. Once erased, every
        ``change`` is refused as gone."""
        self.now += timedelta(microseconds=1)
        if self.erased and change:
            refusal = GoneError
        if refusal is None:
            answer = action()
        else:
            with pytest.raises(DomainError) as raised:
                action()
            assert type(raised.value) is refusal, raised.value
            answer = None
        recorded = list(self.roadmap.collect_events())
        if refusal is not None:
            assert recorded == []
        assert all(e.timestamp == self.now for e in recorded)
        self.events.extend(recorded)
        self.moments.append((self.now, seen(self.roadmap)))
        return answer

    def pick(self, data: st.DataObject, statuses: set[str] | None) -> str:
        """Mostly an item in one of ``statuses`` (None: a new one), else any id."""
        if statuses is None:
            fitting = [i for i in ITEM_IDS if i not in self.items]
        else:
            fitting = sorted(i for i, m in self.items.items() if m.status in statuses)
        if fitting and data.draw(st.integers(0, 9)) > 0:
            return data.draw(st.sampled_from(fitting))
        return data.draw(ITEM)

    def status(self) -> str:
        statuses = [self.items[i].status for i in self.order]
        on = [s for s in statuses if s in ON]
        if on and all(s == "COMPLETED" for s in on):
            return "COMPLETED"
        if any(s != "NOT_STARTED" for s in on):
            return "IN_PROGRESS"
        return "NOT_STARTED"

    def on_roadmap(self) -> list[str]:
        return [i for i in self.order if self.items[i].status in ON]

    def closed(self, item_id: str | None) -> type[DomainError] | None:
        """The refusal of a change to an item that must be open."""
        if item_id not in self.items:
            return NotFoundError
        if self.items[item_id].status not in OPEN:
            return ConflictError
        return None

    def completed_item(self, item: ModelItem) -> None:
        item.move("COMPLETED", self.now)
        self.progressed_at = self.now
        if self.status() == "COMPLETED":
            self.completions += 1
            self.completed_at = self.now

    def approved(self, item_id: str, position: int | None) -> None:
        item = self.items[item_id]
        item.move("NOT_STARTED", self.now)
        item.scheduled_since = self.now
        item.approved_at = self.now
        on = self.on_roadmap()
        if position is None or position >= len(on):
            self.order.append(item_id)
        else:
            self.order.insert(self.order.index(on[position]), item_id)
        if self.progressed_at is None:
            self.progressed_at = self.now
        self.completed_at = None
        self.ever_approved = True

    @initialize(asked=st.lists(st.tuples(specs(), st.booleans()), max_size=4))
    def a_few_items_asked_for_and_approved(
        self, asked: list[tuple[ItemSpec, bool]]
    ) -> None:
        for n, (spec, approve) in enumerate(asked):
            item_id = ITEM_IDS[n]
            self.ask(
                item_id,
                spec,
                "PENDING_APPROVAL",
                partial(self.roadmap.request_item, item_id, spec),
            )
            if approve and item_id in self.items:
                self.step(None, partial(self.roadmap.approve, item_id))
                self.approved(item_id, None)

    # -- Asking ------------------------------------------------------------------------

    def ask(self, item_id: str, spec: ItemSpec, status: str, action: Any) -> None:
        refusal: type[DomainError] | None = None
        if item_id in self.items or (
            spec.offering_id is not None
            and any(
                i.offering_id == spec.offering_id and i.status in WAITING | OPEN
                for i in self.items.values()
            )
        ):
            refusal = ConflictError
        self.step(refusal, action)
        if refusal is None and not self.erased:
            self.items[item_id] = ModelItem(
                status=status,
                requested_at=self.now,
                offering_id=spec.offering_id,
                modules={m.id: False for m in spec.modules},
                module_dues={m.id: m.due for m in spec.modules},
                deadlines={d.id: d.due for d in spec.deadlines},
                history=[(status, self.now)],
            )

    @rule(data=st.data(), spec=specs())
    def candidate_requests(self, data: st.DataObject, spec: ItemSpec) -> None:
        item_id = self.pick(data, None)
        self.ask(
            item_id,
            spec,
            "PENDING_APPROVAL",
            lambda: self.roadmap.request_item(item_id, spec),
        )

    @rule(
        data=st.data(),
        spec=specs(),
        note=st.none() | st.just("Worth it"),
    )
    def mentor_suggests(
        self, data: st.DataObject, spec: ItemSpec, note: str | None
    ) -> None:
        item_id = self.pick(data, None)
        self.ask(
            item_id,
            spec,
            "SUGGESTED",
            lambda: self.roadmap.suggest_item(item_id, spec, MENTOR_ID, note),
        )

    # -- Deciding ----------------------------------------------------------------------

    def waiting_as(self, item_id: str, status: str) -> type[DomainError] | None:
        if item_id not in self.items:
            return NotFoundError
        if self.items[item_id].status != status:
            return ConflictError
        return None

    @rule(data=st.data(), position=st.none() | st.integers(-1, 6))
    def mentor_approves(self, data: st.DataObject, position: int | None) -> None:
        item_id = self.pick(data, {"PENDING_APPROVAL"})
        refusal = self.waiting_as(item_id, "PENDING_APPROVAL")
        if refusal is None and position is not None and position < 0:
            refusal = InvalidFieldError
        first = not self.ever_approved
        answer = self.step(refusal, lambda: self.roadmap.approve(item_id, position))
        if refusal is None and not self.erased:
            assert answer is first
            self.approved(item_id, position)

    @rule(data=st.data(), reason=st.sampled_from(["", None, "Later"]))
    def mentor_declines(self, data: st.DataObject, reason: str | None) -> None:
        item_id = self.pick(data, {"PENDING_APPROVAL"})
        refusal = self.waiting_as(item_id, "PENDING_APPROVAL")
        if refusal is None and not reason:
            refusal = InvalidFieldError
        self.step(refusal, lambda: self.roadmap.decline(item_id, reason))
        if refusal is None and not self.erased:
            self.items[item_id].move("DECLINED", self.now)

    @rule(data=st.data())
    def candidate_accepts(self, data: st.DataObject) -> None:
        item_id = self.pick(data, {"SUGGESTED"})
        refusal = self.waiting_as(item_id, "SUGGESTED")
        first = not self.ever_approved
        answer = self.step(refusal, lambda: self.roadmap.accept_suggestion(item_id))
        if refusal is None and not self.erased:
            assert answer is first
            self.approved(item_id, None)

    @rule(data=st.data(), reason=st.none() | st.just("No time"))
    def candidate_declines(self, data: st.DataObject, reason: str | None) -> None:
        item_id = self.pick(data, {"SUGGESTED"})
        refusal = self.waiting_as(item_id, "SUGGESTED")
        self.step(refusal, lambda: self.roadmap.decline_suggestion(item_id, reason))
        if refusal is None and not self.erased:
            self.items[item_id].move("DECLINED", self.now)

    @rule(data=st.data(), how=st.sampled_from(["same", "shuffled", "short", "twice"]))
    def mentor_reorders(self, data: st.DataObject, how: str) -> None:
        on = self.on_roadmap()
        order = list(on)
        refusal: type[DomainError] | None = None
        if how == "shuffled":
            order = data.draw(st.permutations(on))
        elif how == "short" and on:
            order = on[:-1]
            refusal = InvalidFieldError
        elif how == "twice" and on:
            order = [*on, on[0]]
            refusal = InvalidFieldError
        self.step(refusal, lambda: self.roadmap.reorder(order))
        if refusal is None and not self.erased:
            rest = [i for i in self.order if i not in set(order)]
            self.order = [*order, *rest]

    # -- Working through items -------------------------------------------------------

    @rule(
        data=st.data(),
        done=st.booleans(),
    )
    def someone_marks_a_module(self, data: st.DataObject, done: bool) -> None:
        item_id = self.pick(data, OPEN)
        modules = sorted(self.items[item_id].modules) if item_id in self.items else []
        module = data.draw(
            st.sampled_from(modules) if modules else st.sampled_from(["m1", "o0"])
        )
        refusal = self.closed(item_id)
        if refusal is None and module not in self.items[item_id].modules:
            refusal = NotFoundError
        became_completed = self.step(
            refusal, lambda: self.roadmap.mark_module(item_id, module, done)
        )
        if refusal is not None or self.erased:
            return
        item = self.items[item_id]
        was_completed = self.completions
        if item.modules[module] != done:
            item.modules[module] = done
            if done:
                if item.status == "NOT_STARTED":
                    item.move("IN_PROGRESS", self.now)
                self.progressed_at = self.now
            if all(item.modules.values()):
                self.completed_item(item)
        assert became_completed is (self.completions > was_completed)

    @rule(data=st.data())
    def someone_starts_an_item(self, data: st.DataObject) -> None:
        item_id = self.pick(data, OPEN)
        refusal = self.closed(item_id)
        self.step(refusal, lambda: self.roadmap.start_item(item_id))
        if refusal is None and not self.erased:
            item = self.items[item_id]
            if item.status == "NOT_STARTED":
                item.move("IN_PROGRESS", self.now)
                self.progressed_at = self.now

    @rule(data=st.data())
    def someone_completes_an_item(self, data: st.DataObject) -> None:
        item_id = self.pick(data, OPEN)
        refusal = self.closed(item_id)
        became_completed = self.step(
            refusal, lambda: self.roadmap.complete_item(item_id)
        )
        if refusal is None and not self.erased:
            was_completed = self.completions
            self.completed_item(self.items[item_id])
            assert became_completed is (self.completions > was_completed)

    @rule(data=st.data(), reason=st.none() | st.just("Moved away"))
    def someone_withdraws_an_item(
        self, data: st.DataObject, reason: str | None
    ) -> None:
        item_id = self.pick(data, WAITING | OPEN)
        refusal: type[DomainError] | None = None
        if item_id not in self.items:
            refusal = NotFoundError
        elif self.items[item_id].status in ("COMPLETED", "WITHDRAWN", "DECLINED"):
            refusal = ConflictError
        became_completed = self.step(
            refusal, lambda: self.roadmap.withdraw(item_id, reason)
        )
        if refusal is None and not self.erased:
            was = self.status()
            self.items[item_id].move("WITHDRAWN", self.now)
            now_completed = was != "COMPLETED" and self.status() == "COMPLETED"
            if now_completed:
                self.completions += 1
                self.completed_at = self.now
            assert became_completed is now_completed

    @rule(
        data=st.data(),
        what=st.sampled_from(["deadline", "d1", "d2", "m1", "m2", "o0", "x"]),
        due=st.none() | dues(),
    )
    def someone_moves_a_deadline(
        self, data: st.DataObject, what: str, due: str | None
    ) -> None:
        item_id = self.pick(data, OPEN)
        refusal = self.closed(item_id)
        item = self.items.get(item_id)
        current: str | None = None
        if refusal is None and item is not None:
            if what in item.deadlines:
                refusal = InvalidFieldError if due is None else None
                current = item.deadlines[what]
            elif what in item.module_dues:
                current = item.module_dues[what]
            else:
                refusal = NotFoundError
        self.step(refusal, lambda: self.roadmap.move_deadline(item_id, what, due))
        if refusal is None and not self.erased and item is not None and due != current:
            if what in item.deadlines:
                assert due is not None
                item.deadlines[what] = due
            else:
                item.module_dues[what] = due
            item.scheduled_since = self.now

    # -- Feedback, reminders, time ---------------------------------------------------

    @rule(rating=st.integers(0, 6), comment=st.none() | st.just("Useful"))
    def candidate_rates(self, rating: int, comment: str | None) -> None:
        refusal: type[DomainError] | None = None
        if self.completions == 0 or self.status() != "COMPLETED":
            refusal = ConflictError
        elif not 1 <= rating <= 5:
            refusal = InvalidFieldError
        ratings = dict.fromkeys(self.on_roadmap()[:1], 5)
        self.step(refusal, lambda: self.roadmap.give_feedback(rating, comment, ratings))
        if refusal is None and not self.erased:
            self.feedback_for = self.completions

    @rule(data=st.data())
    def platform_sends_a_due_reminder(self, data: st.DataObject) -> None:
        timers = self.roadmap.due_timers()
        if not timers:
            return
        due = [t for t in timers if t.due_at <= self.now]
        only_due: bool = data.draw(st.booleans())
        among = due if due and only_due else timers
        timer = data.draw(st.sampled_from(among))
        sent = self.step(
            None,
            lambda: self.roadmap.send_reminder(
                timer.kind, timer.subject, timer.due_at, self.now, MENTOR_ID
            ),
            change=False,
        )
        assert sent is (timer.due_at <= self.now)
        if sent:
            self.sent.add(timer.key)
            # Once only.
            again = self.step(
                None,
                lambda: self.roadmap.send_reminder(
                    timer.kind, timer.subject, timer.due_at, self.now, MENTOR_ID
                ),
                change=False,
            )
            assert again is False

    @rule(days=st.integers(0, 10), hours=st.integers(0, 23))
    def time_passes(self, days: int, hours: int) -> None:
        self.now += timedelta(days=days, hours=hours)

    @precondition(lambda self: len(self.moments) > 20)
    @rule()
    def the_candidate_is_erased(self) -> None:
        self.step(None, self.roadmap.erase, change=False)
        self.erased = True

    # -- What must hold after every step ---------------------------------------------

    @invariant()
    def items_and_order_are_the_models(self) -> None:
        assert {i: m.status for i, m in self.items.items()} == {
            i: item.status.value for i, item in self.roadmap.items.items()
        }
        assert [i.id for i in self.roadmap.on_roadmap] == self.on_roadmap()
        for item_id, model in self.items.items():
            item = self.roadmap.items[item_id]
            assert {m.id: m.done for m in item.modules} == model.modules
            assert {m.id: m.due for m in item.modules} == model.module_dues
            assert {d.id: d.due for d in item.deadlines} == model.deadlines
            assert [(s, datetime.fromisoformat(t)) for s, t in item.history] == [
                (s, t) for s, t in model.history
            ]
        assert self.roadmap.completions == self.completions
        assert sorted(i.id for i in self.roadmap.awaiting_approval) == sorted(
            i for i, m in self.items.items() if m.status == "PENDING_APPROVAL"
        )

    @invariant()
    def progress_is_the_documented_formula(self) -> None:
        on = [self.items[i] for i in self.on_roadmap()]
        exact = (
            sum((exact_item_progress(i) for i in on), Fraction(0)) / len(on)
            if on
            else Fraction(0)
        )
        assert self.roadmap.progress == exact
        assert Decimal(0) <= self.roadmap.percent <= Decimal(100)
        assert self.roadmap.percent == one_decimal_halves_up(exact)
        for item_id, model in self.items.items():
            figure = self.roadmap.item_percent(item_id)
            assert figure == one_decimal_halves_up(exact_item_progress(model))
            assert Decimal(0) <= figure <= Decimal(100)

    @invariant()
    def the_status_is_derived(self) -> None:
        assert self.roadmap.status.value == self.status()

    @invariant()
    def timers_follow_the_rules(self) -> None:
        expected = set(self.expected_timers()) - self.sent
        assert {t.key for t in self.roadmap.due_timers()} == expected

    def expected_timers(self) -> Iterator[str]:
        if self.erased:
            return
        for item_id, item in self.items.items():
            if item.status == "PENDING_APPROVAL":
                alert = item.requested_at + timedelta(days=3)
                yield f"approval_overdue|{item_id}|{alert.isoformat()}"
            if item.status not in OPEN or item.scheduled_since is None:
                continue
            targets = list(item.deadlines.items()) + [
                (m, d)
                for m, d in item.module_dues.items()
                if d is not None and not item.modules[m]
            ]
            for target, due_text in targets:
                for kind, before in (("deadline_7d", 7), ("deadline_1d", 1)):
                    at = due_instant(due_text) - timedelta(days=before)
                    if at >= item.scheduled_since:
                        yield f"{kind}|{item_id}/{target}|{at.isoformat()}"
        open_since = [
            self.items[i].approved_at or START
            for i in self.order
            if self.items[i].status in OPEN
        ]
        if self.progressed_at is not None and open_since:
            # From the last progress, or from when there was something to do again.
            nudge = max(self.progressed_at, min(open_since)) + timedelta(days=14)
            yield f"nudge|{self.roadmap.id}|{nudge.isoformat()}"
        if (
            self.status() == "COMPLETED"
            and self.completed_at is not None
            and (self.feedback_for is None or self.feedback_for < self.completions)
        ):
            form = self.completed_at.isoformat()
            yield f"feedback_form|completion-{self.completions}|{form}"

    @invariant()
    def history_gives_every_earlier_state(self) -> None:
        for moment, then in self.moments:
            past = as_of(self.events, moment)
            assert past is not None
            assert seen(past) == then, moment
        assert as_of(self.events, START - timedelta(microseconds=1)) is None
        figures: list[tuple[datetime, Decimal]] = []
        for moment, then in self.moments:
            if not figures or figures[-1][1] != then.percent:
                figures.append((moment, then.percent))
        assert progress_history(self.events) == figures


RoadmapMachine.TestCase.settings = settings(
    max_examples=100, stateful_step_count=40, deadline=None
)
TestRoadmapMachine = RoadmapMachine.TestCase
