"""A candidate's career roadmap (#4, C6, CM1, CM3): items, priorities, progress.

One ``Roadmap`` per candidate (``Roadmap.id_for(candidate_id)``). Items
(``domain.careers.roadmap_items``) come from two sides:

- the candidate asks for one → ``PENDING_APPROVAL``; their assigned mentor approves
  it, placing it in the priority order, or declines it with a reason;
- the mentor suggests one → ``SUGGESTED``; the candidate accepts it (approved, last
  in the order) or declines it.

Only approved items are on the roadmap: ``NOT_STARTED`` → ``IN_PROGRESS`` (a module
done, or started by hand) → ``COMPLETED`` (its last module done, or completed by
hand), or ``WITHDRAWN`` from any status but completed, its history kept. A completed
item is final. The mentor reorders the priorities (CM1). The roadmap's status is
derived from its items, never set: ``NOT_STARTED`` (nothing begun), ``COMPLETED``
(every item on it completed, at least one), else ``IN_PROGRESS``; each time it
becomes completed a ``Completed`` event says so (the badge and the feedback form
follow it). Progress is ``domain.careers.progress``.

Every event is applied with its own timestamp, so the roadmap knows when each item
entered each status and when the candidate last made progress; replaying the events
up to a moment (``as_of``) gives the roadmap as it stood then.

Reminders (``due_timers``): 7 days and 1 day before each open item's deadlines and
its undone modules' due dates, a nudge after 14 days without progress, an alert to
the mentor for an item awaiting approval for 3 days, and the feedback form when the
roadmap is completed. Each (kind, subject, due time) is sent at most once
(``send_reminder`` records ``ReminderSent``); a timer whose condition is gone (the
item completed or withdrawn, the deadline moved, progress made) is no longer due.

Who may act is the handlers' concern (the candidate themselves, their assigned
mentor); the roadmap checks what the state allows. Personal data (titles and
descriptions of items, reasons, notes, feedback comments) is sealed with the
candidate's key (``personal_data_subject_field``), so erasing the person erases
them; ``erase`` then stops every change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any, ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain.base import (
    ConflictError,
    GoneError,
    InvalidFieldError,
    NotFoundError,
    SpotlightAggregate,
)
from domain.careers.progress import (
    ItemFigures,
    item_progress,
    percent,
    roadmap_progress,
)
from domain.careers.roadmap_items import (
    OPEN,
    WAITING,
    Item,
    ItemSpec,
    ItemStatus,
    checked_due,
    due_instant,
)
from domain.careers.values import CAREERS_NAMESPACE
from domain.personal_data import CarriesPersonalData
from domain.text import LONG_TEXT, SHORT_TEXT

CANDIDATE = "candidate"
MENTOR = "mentor"

MAX_ITEMS = 200
MIN_RATING, MAX_RATING = 1, 5

# When reminders fall due.
DEADLINE_NOTICES = (
    ("deadline_7d", timedelta(days=7)),
    ("deadline_1d", timedelta(days=1)),
)
NUDGE_AFTER = timedelta(days=14)
APPROVAL_ALERT_AFTER = timedelta(days=3)


class RoadmapStatus(StrEnum):
    NOT_STARTED = "NOT_STARTED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"


class ReminderKind(StrEnum):
    DEADLINE_7D = "deadline_7d"
    DEADLINE_1D = "deadline_1d"
    NUDGE = "nudge"
    APPROVAL_OVERDUE = "approval_overdue"
    FEEDBACK_FORM = "feedback_form"


@dataclass(frozen=True)
class Timer:
    """A reminder that falls due at ``due_at`` (UTC), sent at most once per
    (kind, subject, due time). ``recipient`` is ``candidate`` or ``mentor``."""

    kind: ReminderKind
    subject: str
    due_at: datetime
    recipient: str
    item_id: str | None = None

    @property
    def key(self) -> str:
        return timer_key(self.kind, self.subject, self.due_at)


def timer_key(kind: str, subject: str, due_at: datetime) -> str:
    return f"{kind}|{subject}|{due_at.astimezone(UTC).isoformat()}"


def _at(event: Any) -> str:
    stamp: datetime = event.timestamp
    return stamp.astimezone(UTC).isoformat(timespec="microseconds")


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


class Roadmap(SpotlightAggregate):
    """A candidate's items, their priority order, progress and reminders."""

    @staticmethod
    def id_for(candidate_id: UUID | str) -> UUID:
        return uuid5(CAREERS_NAMESPACE, f"roadmap:{candidate_id}")

    # Every event of the roadmap: applied with its timestamp (``change``), which is
    # also the last activity on it (a reminder the platform sends is not).
    class Event(SpotlightAggregate.Event):
        is_activity: ClassVar[bool] = True

        def apply(self, aggregate: Any) -> None:
            roadmap: Roadmap = aggregate
            at = _at(self)
            if self.is_activity:
                roadmap.last_activity_at = at
            self.change(roadmap, at)

        def change(self, roadmap: Roadmap, at: str) -> None:
            pass

    class Started(SpotlightAggregate.Created):
        candidate_id: str

    @event(Started)
    def __init__(self, *, candidate_id: str) -> None:
        self.candidate_id = candidate_id
        self.items: dict[str, Item] = {}
        # The approved items, most important first (withdrawn and completed ones
        # keep their places; ``on_roadmap`` leaves the withdrawn out).
        self.priorities: list[str] = []
        self.started_at = self.created_on.astimezone(UTC).isoformat(
            timespec="microseconds"
        )
        self.last_activity_at = self.started_at
        # The last moment the candidate moved forward (a module, a start, a
        # completion), or the first approval before any; the 14-day nudge counts
        # from it (``_nudge``).
        self.progressed_at: str | None = None
        self.completions = 0
        self.completed_at: str | None = None
        self.sent_reminders: list[str] = []
        self.feedback: dict[str, Any] | None = None
        self.erased = False

    @classmethod
    def start(cls, candidate_id: UUID | str) -> Roadmap:
        roadmap: Roadmap = cls._create(
            cls.Started, id=cls.id_for(candidate_id), candidate_id=str(candidate_id)
        )
        return roadmap

    # -- Reading ----------------------------------------------------------------------

    def item(self, item_id: str) -> Item:
        found = self.items.get(item_id)
        if found is None:
            raise NotFoundError("No such item on this roadmap.")
        return found

    @property
    def on_roadmap(self) -> list[Item]:
        """The approved, not withdrawn items, in priority order."""
        return [self.items[i] for i in self.priorities if self.items[i].on_roadmap]

    @property
    def awaiting_approval(self) -> list[Item]:
        return [
            i for i in self.items.values() if i.status == ItemStatus.PENDING_APPROVAL
        ]

    @property
    def status(self) -> RoadmapStatus:
        return derived_status(self.on_roadmap)

    @property
    def progress(self) -> Fraction:
        return roadmap_progress(_figures(i) for i in self.on_roadmap)

    @property
    def percent(self) -> Decimal:
        return percent(self.progress)

    def item_percent(self, item_id: str) -> Decimal:
        return percent(item_progress(_figures(self.item(item_id))))

    # -- Asking for items (the candidate) and suggesting them (the mentor) -----------

    class ItemRequested(CarriesPersonalData, Event):
        personal_fields: ClassVar[frozenset[str]] = frozenset({"text"})
        personal_data_subject_field: ClassVar[str | None] = "candidate_id"
        candidate_id: str
        item_id: str
        item: dict[str, Any]
        text: dict[str, Any]

        def change(self, roadmap: Roadmap, at: str) -> None:
            roadmap.items[self.item_id] = Item.from_event(
                self.item_id,
                skeleton=self.item,
                text=self.text,
                status=ItemStatus.PENDING_APPROVAL,
                requested_by=CANDIDATE,
                at=at,
            )

    def request_item(self, item_id: str, spec: ItemSpec) -> None:
        """The candidate asks for an item; it waits for their mentor's approval."""
        self._require_room(item_id, spec)
        self.trigger_event(
            self.ItemRequested,
            candidate_id=self.candidate_id,
            item_id=item_id,
            item=spec.skeleton(),
            text=spec.text(),
        )

    class ItemSuggested(CarriesPersonalData, Event):
        personal_fields: ClassVar[frozenset[str]] = frozenset({"text"})
        personal_data_subject_field: ClassVar[str | None] = "candidate_id"
        candidate_id: str
        item_id: str
        mentor_id: str
        item: dict[str, Any]
        text: dict[str, Any]

        def change(self, roadmap: Roadmap, at: str) -> None:
            item = Item.from_event(
                self.item_id,
                skeleton=self.item,
                text=self.text,
                status=ItemStatus.SUGGESTED,
                requested_by=MENTOR,
                at=at,
            )
            if isinstance(self.text, Mapping):
                item.note = self.text.get("note")
            roadmap.items[self.item_id] = item

    def suggest_item(
        self, item_id: str, spec: ItemSpec, mentor_id: str, note: object = None
    ) -> None:
        """The mentor suggests an item; it waits for the candidate to accept it."""
        self._require_room(item_id, spec)
        text = {**spec.text(), "note": SHORT_TEXT.nullable(note, "note")}
        self.trigger_event(
            self.ItemSuggested,
            candidate_id=self.candidate_id,
            item_id=item_id,
            mentor_id=mentor_id,
            item=spec.skeleton(),
            text=text,
        )

    def _require_room(self, item_id: str, spec: ItemSpec) -> None:
        self._require_not_erased()
        if item_id in self.items:
            raise ConflictError("An item with this id is on the roadmap already.")
        if len(self.items) >= MAX_ITEMS:
            raise ConflictError(f"A roadmap holds at most {MAX_ITEMS} items.")
        if spec.offering_id is not None and any(
            i.offering_id == spec.offering_id and i.status in WAITING | OPEN
            for i in self.items.values()
        ):
            raise ConflictError(
                "This offering is on the roadmap already, or waiting for approval."
            )

    # -- Deciding on an item ---------------------------------------------------------

    class ItemApproved(Event):
        item_id: str
        position: int

        def change(self, roadmap: Roadmap, at: str) -> None:
            _approved(roadmap, self.item_id, self.position, at)

    def approve(self, item_id: str, position: int | None = None) -> bool:
        """The mentor approves a requested item, at ``position`` in the priority
        order (0 first; None or past the end: last). Answers whether it is the
        candidate's first approved item (a badge)."""
        self._waiting(item_id, ItemStatus.PENDING_APPROVAL, "approved")
        first = self._nothing_approved_yet()
        self.trigger_event(
            self.ItemApproved, item_id=item_id, position=self._position(position)
        )
        return first

    class ItemDeclined(CarriesPersonalData, Event):
        personal_fields: ClassVar[frozenset[str]] = frozenset({"reason"})
        personal_data_subject_field: ClassVar[str | None] = "candidate_id"
        candidate_id: str
        item_id: str
        reason: str | None
        by: str

        def change(self, roadmap: Roadmap, at: str) -> None:
            item = roadmap.items[self.item_id]
            item.move_to(ItemStatus.DECLINED, at)
            item.reason = self.reason

    def decline(self, item_id: str, reason: object) -> None:
        """The mentor declines a requested item; the reason is required."""
        self._waiting(item_id, ItemStatus.PENDING_APPROVAL, "declined")
        self.trigger_event(
            self.ItemDeclined,
            candidate_id=self.candidate_id,
            item_id=item_id,
            reason=SHORT_TEXT.required(reason, "reason"),
            by=MENTOR,
        )

    class SuggestionAccepted(Event):
        item_id: str
        position: int

        def change(self, roadmap: Roadmap, at: str) -> None:
            _approved(roadmap, self.item_id, self.position, at)

    def accept_suggestion(self, item_id: str) -> bool:
        """The candidate accepts their mentor's suggestion: approved, last in the
        order. Answers whether it is their first approved item."""
        self._waiting(item_id, ItemStatus.SUGGESTED, "accepted")
        first = self._nothing_approved_yet()
        self.trigger_event(
            self.SuggestionAccepted, item_id=item_id, position=self._position(None)
        )
        return first

    def decline_suggestion(self, item_id: str, reason: object = None) -> None:
        """The candidate declines their mentor's suggestion (a reason is optional)."""
        self._waiting(item_id, ItemStatus.SUGGESTED, "declined this way")
        self.trigger_event(
            self.ItemDeclined,
            candidate_id=self.candidate_id,
            item_id=item_id,
            reason=SHORT_TEXT.nullable(reason, "reason"),
            by=CANDIDATE,
        )

    def _waiting(self, item_id: str, status: ItemStatus, decided: str) -> None:
        """Only an item waiting in ``status`` can be ``decided``."""
        self._require_not_erased()
        item = self.item(item_id)
        if item.status != status:
            waiting = (
                "an item awaiting approval"
                if status == ItemStatus.PENDING_APPROVAL
                else "a suggested item"
            )
            raise ConflictError(
                f"Only {waiting} can be {decided}; this one is {item.status}."
            )

    def _nothing_approved_yet(self) -> bool:
        """Whether no item was ever approved (the next one earns a badge)."""
        return not any(i.approved_at for i in self.items.values())

    # -- Priorities (CM1) ------------------------------------------------------------

    class PrioritiesReordered(Event):
        order: list[str]

        def change(self, roadmap: Roadmap, at: str) -> None:
            rest = [i for i in roadmap.priorities if i not in set(self.order)]
            roadmap.priorities = [*self.order, *rest]

    def reorder(self, order: Sequence[str]) -> None:
        """The mentor sets the order of the items on the roadmap: ``order`` names
        each of them once, most important first. The same order records nothing."""
        self._require_not_erased()
        current = [i.id for i in self.on_roadmap]
        if len(set(order)) != len(order):
            raise InvalidFieldError("order", "names an item more than once")
        if set(order) != set(current):
            raise InvalidFieldError(
                "order",
                "must name every item on the roadmap (approved, not withdrawn) once",
            )
        if list(order) != current:
            self.trigger_event(self.PrioritiesReordered, order=list(order))

    def _position(self, position: int | None) -> int:
        """Where in ``priorities`` an item placed at ``position`` among the items
        on the roadmap goes (withdrawn and completed ones keep their places)."""
        on = [i.id for i in self.on_roadmap]
        if position is None or position >= len(on):
            return len(self.priorities)
        if position < 0:
            raise InvalidFieldError("position", "must be 0 or more")
        return self.priorities.index(on[position])

    # -- Working through items -------------------------------------------------------

    class ModuleMarked(Event):
        item_id: str
        module_id: str
        done: bool

        def change(self, roadmap: Roadmap, at: str) -> None:
            item = roadmap.items[self.item_id]
            module = item.module(self.module_id)
            if module is not None:
                module.done = self.done
            if self.done:
                if item.status == ItemStatus.NOT_STARTED:
                    item.move_to(ItemStatus.IN_PROGRESS, at)
                # Undoing a module is no step forward.
                roadmap.progressed_at = at

    def mark_module(self, item_id: str, module_id: str, done: bool) -> bool:
        """Mark a module done or undone; the last module done completes the item.
        Marking it as it is records nothing. Answers whether the roadmap became
        completed."""
        item = self._open_item(item_id, "Modules")
        module = item.module(module_id)
        if module is None:
            raise NotFoundError("No such module in this item.")
        if module.done == done:
            return False
        self.trigger_event(
            self.ModuleMarked, item_id=item_id, module_id=module_id, done=done
        )
        if item.modules and item.done_modules == len(item.modules):
            return self._complete(item)
        return False

    class ItemStarted(Event):
        item_id: str

        def change(self, roadmap: Roadmap, at: str) -> None:
            roadmap.items[self.item_id].move_to(ItemStatus.IN_PROGRESS, at)
            roadmap.progressed_at = at

    def start_item(self, item_id: str) -> None:
        """Begin an item (one without modules has no other way to show it)."""
        item = self._open_item(item_id, "Only an approved item")
        if item.status == ItemStatus.NOT_STARTED:
            self.trigger_event(self.ItemStarted, item_id=item_id)

    class ItemCompleted(Event):
        item_id: str

        def change(self, roadmap: Roadmap, at: str) -> None:
            item = roadmap.items[self.item_id]
            item.move_to(ItemStatus.COMPLETED, at)
            item.completed_at = at
            roadmap.progressed_at = at

    class Completed(Event):
        """Every item on the roadmap is completed (the ``completion``-th time)."""

        completion: int

        def change(self, roadmap: Roadmap, at: str) -> None:
            roadmap.completions = self.completion
            roadmap.completed_at = at

    def complete_item(self, item_id: str) -> bool:
        """Complete an item (done, whatever its modules say). Answers whether the
        roadmap became completed."""
        return self._complete(self._open_item(item_id, "Only an approved item"))

    def _complete(self, item: Item) -> bool:
        self.trigger_event(self.ItemCompleted, item_id=item.id)
        if self.status == RoadmapStatus.COMPLETED:
            self.trigger_event(self.Completed, completion=self.completions + 1)
            return True
        return False

    class ItemWithdrawn(CarriesPersonalData, Event):
        personal_fields: ClassVar[frozenset[str]] = frozenset({"reason"})
        personal_data_subject_field: ClassVar[str | None] = "candidate_id"
        candidate_id: str
        item_id: str
        reason: str | None

        def change(self, roadmap: Roadmap, at: str) -> None:
            item = roadmap.items[self.item_id]
            item.move_to(ItemStatus.WITHDRAWN, at)
            item.reason = self.reason

    def withdraw(self, item_id: str, reason: object = None) -> bool:
        """Withdraw an item from any status but completed (or declined); its
        history stays. Answers whether the roadmap became completed (what is left
        is all done)."""
        self._require_not_erased()
        item = self.item(item_id)
        if item.status in (
            ItemStatus.COMPLETED,
            ItemStatus.WITHDRAWN,
            ItemStatus.DECLINED,
        ):
            raise ConflictError(f"A {item.status} item cannot be withdrawn.")
        was = self.status
        self.trigger_event(
            self.ItemWithdrawn,
            candidate_id=self.candidate_id,
            item_id=item_id,
            reason=SHORT_TEXT.nullable(reason, "reason"),
        )
        if was != RoadmapStatus.COMPLETED and self.status == RoadmapStatus.COMPLETED:
            self.trigger_event(self.Completed, completion=self.completions + 1)
            return True
        return False

    class DeadlineMoved(Event):
        item_id: str
        # A deadline's id, or a module's id (its due date).
        target_id: str
        due: str | None

        def change(self, roadmap: Roadmap, at: str) -> None:
            item = roadmap.items[self.item_id]
            # As ``move_deadline`` found it: a deadline first (an offering's module
            # may have a deadline's id), else the module.
            deadline = item.deadline(self.target_id)
            module = item.module(self.target_id)
            if deadline is not None:
                if self.due is not None:
                    deadline.due = self.due
            elif module is not None:
                module.due = self.due
            item.scheduled_since = at

    def move_deadline(self, item_id: str, target_id: str, due: object) -> None:
        """Move an open item's deadline (by its id) or a module's due date (by the
        module's id; None removes it). The same date records nothing."""
        item = self._open_item(item_id, "Deadlines")
        deadline = item.deadline(target_id)
        module = item.module(target_id)
        if deadline is None and module is None:
            raise NotFoundError("No such deadline or module in this item.")
        current: str | None
        if deadline is not None:
            new_due: str | None = checked_due(due, "due")
            current = deadline.due
        else:
            new_due = None if due is None else checked_due(due, "due")
            current = module.due if module else None
        if new_due != current:
            self.trigger_event(
                self.DeadlineMoved, item_id=item_id, target_id=target_id, due=new_due
            )

    def _open_item(self, item_id: str, what: str) -> Item:
        self._require_not_erased()
        item = self.item(item_id)
        if item.status not in OPEN:
            if item.status == ItemStatus.COMPLETED:
                raise ConflictError("The item is completed; it no longer changes.")
            raise ConflictError(
                f"{what} can change only on an approved item that is not withdrawn; "
                f"this one is {item.status}."
            )
        return item

    # -- Feedback ------------------------------------------------------------------

    class FeedbackGiven(CarriesPersonalData, Event):
        personal_fields: ClassVar[frozenset[str]] = frozenset({"comment"})
        personal_data_subject_field: ClassVar[str | None] = "candidate_id"
        candidate_id: str
        completion: int
        rating: int
        comment: str | None
        item_ratings: dict[str, int]

        def change(self, roadmap: Roadmap, at: str) -> None:
            roadmap.feedback = {
                "completion": self.completion,
                "rating": self.rating,
                "comment": self.comment,
                "item_ratings": dict(self.item_ratings),
                "given_at": at,
            }

    def give_feedback(
        self,
        rating: object,
        comment: object = None,
        item_ratings: Mapping[str, object] | None = None,
    ) -> None:
        """The candidate rates their completed roadmap (1 to 5), with an optional
        comment and ratings of its items; rating again replaces it."""
        self._require_not_erased()
        if self.completions == 0 or self.status != RoadmapStatus.COMPLETED:
            raise ConflictError("Feedback is asked for once the roadmap is completed.")
        checked_items: dict[str, int] = {}
        for item_id, value in (item_ratings or {}).items():
            item = self.items.get(item_id)
            if item is None or not item.on_roadmap:
                raise InvalidFieldError(
                    f"items.{item_id}", "is not an item on this roadmap"
                )
            checked_items[item_id] = _rating(value, f"items.{item_id}")
        self.trigger_event(
            self.FeedbackGiven,
            candidate_id=self.candidate_id,
            completion=self.completions,
            rating=_rating(rating, "rating"),
            comment=LONG_TEXT.nullable(comment, "comment"),
            item_ratings=checked_items,
        )

    # -- Reminders -------------------------------------------------------------------

    def due_timers(self) -> list[Timer]:
        """Every reminder still to send, whatever its due time (see the module)."""
        if self.erased:
            return []
        timers: list[Timer] = []
        for item in self.items.values():
            timers.extend(_item_timers(item))
        nudge = self._nudge()
        if nudge is not None:
            timers.append(nudge)
        if (
            self.status == RoadmapStatus.COMPLETED
            and self.completed_at is not None
            and (
                self.feedback is None or self.feedback["completion"] < self.completions
            )
        ):
            timers.append(
                Timer(
                    ReminderKind.FEEDBACK_FORM,
                    f"completion-{self.completions}",
                    _instant(self.completed_at),
                    CANDIDATE,
                )
            )
        sent = set(self.sent_reminders)
        return [t for t in timers if t.key not in sent]

    def _nudge(self) -> Timer | None:
        """14 days after the last progress, or after the candidate had something
        to do again (the open items' earliest approval), whichever is later."""
        open_items = [i for i in self.on_roadmap if i.status in OPEN]
        if self.progressed_at is None or not open_items:
            return None
        since = max(
            _instant(self.progressed_at),
            min(_instant(i.approved_at or self.progressed_at) for i in open_items),
        )
        return Timer(ReminderKind.NUDGE, str(self.id), since + NUDGE_AFTER, CANDIDATE)

    class ReminderSent(Event):
        is_activity: ClassVar[bool] = False
        candidate_id: str
        kind: str
        subject: str
        due_at: str
        item_id: str | None
        # Whom it was for: the candidate, or their mentor (ids only).
        recipient_ids: list[str]

        def change(self, roadmap: Roadmap, at: str) -> None:
            roadmap.sent_reminders.append(
                timer_key(self.kind, self.subject, _instant(self.due_at))
            )

    def send_reminder(
        self,
        kind: str,
        subject: str,
        due_at: datetime,
        now: datetime,
        mentor_id: str | None,
    ) -> bool:
        """Record a reminder as sent, if it is still due at ``now`` and not sent
        yet; answers whether it was. A mentor's alert needs a mentor."""
        wanted = timer_key(kind, subject, due_at)
        timer = next((t for t in self.due_timers() if t.key == wanted), None)
        if timer is None or timer.due_at > now:
            return False
        recipient = self.candidate_id if timer.recipient == CANDIDATE else mentor_id
        if recipient is None:
            return False
        self.trigger_event(
            self.ReminderSent,
            candidate_id=self.candidate_id,
            kind=timer.kind.value,
            subject=timer.subject,
            due_at=timer.due_at.astimezone(UTC).isoformat(),
            item_id=timer.item_id,
            recipient_ids=[recipient],
        )
        return True

    # -- Erasure -----------------------------------------------------------------------

    class Erased(Event):
        def change(self, roadmap: Roadmap, at: str) -> None:
            roadmap.erased = True
            roadmap.feedback = None
            # A roadmap held in memory forgets the texts too, as one loaded from
            # the store after the key is gone reads them.
            for item in roadmap.items.values():
                item.forget_texts()

    def erase(self) -> None:
        """The candidate was erased: their texts read as erased (their key is gone)
        and nothing changes any more. Erasing again changes nothing."""
        if not self.erased:
            self.trigger_event(self.Erased)

    def _require_not_erased(self) -> None:
        if self.erased:
            raise GoneError("This roadmap was erased.")


def _approved(roadmap: Roadmap, item_id: str, position: int, at: str) -> None:
    item = roadmap.items[item_id]
    item.move_to(ItemStatus.NOT_STARTED, at)
    item.approved_at = at
    item.scheduled_since = at
    roadmap.priorities.insert(position, item_id)
    if roadmap.progressed_at is None:
        roadmap.progressed_at = at
    # A new item to do: the roadmap is no longer completed.
    roadmap.completed_at = None


# --- Derived figures --------------------------------------------------------------


def _figures(item: Item) -> ItemFigures:
    return ItemFigures(
        done_modules=item.done_modules,
        total_modules=len(item.modules),
        completed=item.status == ItemStatus.COMPLETED,
    )


def derived_status(items_on_roadmap: Iterable[Item]) -> RoadmapStatus:
    statuses = [i.status for i in items_on_roadmap]
    if statuses and all(s == ItemStatus.COMPLETED for s in statuses):
        return RoadmapStatus.COMPLETED
    if any(s != ItemStatus.NOT_STARTED for s in statuses):
        return RoadmapStatus.IN_PROGRESS
    return RoadmapStatus.NOT_STARTED


def _item_timers(item: Item) -> Iterable[Timer]:
    if item.status == ItemStatus.PENDING_APPROVAL:
        yield Timer(
            ReminderKind.APPROVAL_OVERDUE,
            item.id,
            _instant(item.requested_at) + APPROVAL_ALERT_AFTER,
            MENTOR,
            item.id,
        )
    if item.status not in OPEN or item.scheduled_since is None:
        return
    since = _instant(item.scheduled_since)
    dues = [(d.id, d.due) for d in item.deadlines]
    dues += [(m.id, m.due) for m in item.modules if m.due is not None and not m.done]
    for target, due in dues:
        for kind, before in DEADLINE_NOTICES:
            due_at = due_instant(due) - before
            # Scheduled after it would have been due: not sent late.
            if due_at >= since:
                yield Timer(
                    ReminderKind(kind),
                    f"{item.id}/{target}",
                    due_at,
                    CANDIDATE,
                    item.id,
                )


def _rating(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidFieldError(
            field, f"must be a whole number from {MIN_RATING} to {MAX_RATING}"
        )
    if not MIN_RATING <= value <= MAX_RATING:
        raise InvalidFieldError(field, f"must be from {MIN_RATING} to {MAX_RATING}")
    return value


# --- History -------------------------------------------------------------------------


def as_of(events: Iterable[Any], moment: datetime) -> Roadmap | None:
    """The roadmap as it stood at ``moment``, from its events (oldest first): None
    if it did not exist yet."""
    roadmap: Roadmap | None = None
    for recorded in events:
        if recorded.timestamp > moment:
            break
        roadmap = recorded.mutate(roadmap)
    return roadmap


def progress_history(events: Iterable[Any]) -> list[tuple[datetime, Decimal]]:
    """The roadmap's progress (rounded) after each event that changed it, oldest
    first, starting with 0 when it was started."""
    roadmap: Roadmap | None = None
    history: list[tuple[datetime, Decimal]] = []
    for recorded in events:
        roadmap = recorded.mutate(roadmap)
        if roadmap is None:
            continue
        figure = roadmap.percent
        if not history or history[-1][1] != figure:
            history.append((recorded.timestamp, figure))
    return history
