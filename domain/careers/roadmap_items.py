"""What a roadmap item is made of, and how one is asked for (#4, C6).

An item is an **offering** (its modules and deadlines copied when it is asked for,
with the offering's id, version and NPO) or a **custom goal** the candidate or the
mentor writes, with its own modules and deadline. The copy is the item's own: a
later edit of the offering changes nothing on the roadmap, and a deadline moves only
when the candidate or mentor moves it.

``ItemSpec`` is what is asked for, checked once by its ``of`` constructors; events
record it as two parts: the skeleton (``skeleton()``: kinds, ids, due dates, the
offering's references) and the text (``text()``: titles and descriptions), the text
being personal data (a custom goal says much about a person).

A due date is an ISO date (``YYYY-MM-DD``) or a date-time with its offset; a date's
deadline is the start of that day, UTC (``due_instant``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from domain.base import InvalidFieldError
from domain.personal_data import ERASED
from domain.text import LONG_TEXT, TITLE, TextFormat

MAX_MODULES = 100
MAX_DEADLINES = 20

DUE = TextFormat(
    "due",
    "[0-9]{4}-[0-9]{2}-[0-9]{2}"
    "(?:T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\\.[0-9]{1,9})?(?:Z|[+\\-][0-9]{2}:[0-9]{2}))?",
    40,
    "must be an ISO date (YYYY-MM-DD) or a date-time with its offset",
)


class ItemKind(StrEnum):
    OFFERING = "offering"
    GOAL = "goal"


class ItemStatus(StrEnum):
    """Before approval an item waits (``PENDING_APPROVAL`` when the candidate asked,
    ``SUGGESTED`` when the mentor did) or is ``DECLINED``; once approved it is on the
    roadmap: ``NOT_STARTED`` → ``IN_PROGRESS`` → ``COMPLETED``, or ``WITHDRAWN``
    from any status but completed."""

    PENDING_APPROVAL = "PENDING_APPROVAL"
    SUGGESTED = "SUGGESTED"
    DECLINED = "DECLINED"
    NOT_STARTED = "NOT_STARTED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    WITHDRAWN = "WITHDRAWN"


WAITING = frozenset({ItemStatus.PENDING_APPROVAL, ItemStatus.SUGGESTED})
ON_ROADMAP = frozenset(
    {ItemStatus.NOT_STARTED, ItemStatus.IN_PROGRESS, ItemStatus.COMPLETED}
)
# Statuses in which the item still asks something of the candidate.
OPEN = frozenset({ItemStatus.NOT_STARTED, ItemStatus.IN_PROGRESS})


def due_instant(due: str) -> datetime:
    """The moment a due date (or date-time) falls due, in UTC."""
    if len(due) == 10:
        return datetime.combine(date.fromisoformat(due), datetime.min.time(), UTC)
    return datetime.fromisoformat(due.replace("Z", "+00:00")).astimezone(UTC)


def checked_due(value: object, field_name: str) -> str:
    due = DUE.required(value, field_name)
    try:
        due_instant(due)
    except ValueError as error:
        raise InvalidFieldError(field_name, "is not a real date") from error
    return due


@dataclass(frozen=True)
class ModuleSpec:
    id: str
    title: str
    due: str | None = None


@dataclass(frozen=True)
class DeadlineSpec:
    id: str
    title: str
    due: str


@dataclass(frozen=True)
class ItemSpec:
    """An item as asked for (by the candidate) or suggested (by the mentor)."""

    kind: ItemKind
    title: str
    description: str | None = None
    modules: tuple[ModuleSpec, ...] = ()
    deadlines: tuple[DeadlineSpec, ...] = ()
    offering_id: str | None = None
    offering_version: int | None = None
    npo_id: str | None = None

    @classmethod
    def goal(
        cls,
        title: object,
        description: object = None,
        modules: Sequence[Mapping[str, object]] = (),
        deadline: object = None,
    ) -> ItemSpec:
        """A custom goal: a title, an optional description and deadline, and its
        own modules (each a title and an optional due date); fields are named as
        the request names them (``goal.modules[0].title``)."""
        if not isinstance(modules, Sequence) or isinstance(modules, str | bytes):
            raise InvalidFieldError("goal.modules", "must be a list")
        if len(modules) > MAX_MODULES:
            raise InvalidFieldError(
                "goal.modules", f"must have at most {MAX_MODULES} modules"
            )
        checked_modules = []
        for i, module in enumerate(modules):
            if not isinstance(module, Mapping):
                raise InvalidFieldError(f"goal.modules[{i}]", "must be an object")
            due = module.get("due")
            checked_modules.append(
                ModuleSpec(
                    id=f"m{i + 1}",
                    title=TITLE.required(
                        module.get("title"), f"goal.modules[{i}].title"
                    ),
                    due=None
                    if due is None
                    else checked_due(due, f"goal.modules[{i}].due"),
                )
            )
        deadlines: tuple[DeadlineSpec, ...] = ()
        if deadline is not None:
            deadlines = (
                DeadlineSpec(
                    "deadline", "Deadline", checked_due(deadline, "goal.deadline")
                ),
            )
        return cls(
            kind=ItemKind.GOAL,
            title=TITLE.required(title, "goal.title"),
            description=LONG_TEXT.nullable(description, "goal.description"),
            modules=tuple(checked_modules),
            deadlines=deadlines,
        )

    @classmethod
    def offering(
        cls,
        *,
        offering_id: str,
        version: int,
        npo_id: str,
        title: str,
        modules: Sequence[tuple[str, str]],
        deadlines: Sequence[tuple[str, str]],
    ) -> ItemSpec:
        """An offering as it is now: ``modules`` as (id, title), ``deadlines`` as
        (title, due), both as the offering (already checked) has them."""
        return cls(
            kind=ItemKind.OFFERING,
            title=title,
            modules=tuple(ModuleSpec(id=m, title=t) for m, t in modules),
            deadlines=tuple(
                DeadlineSpec(id=f"d{i + 1}", title=t, due=due)
                for i, (t, due) in enumerate(deadlines[:MAX_DEADLINES])
            ),
            offering_id=offering_id,
            offering_version=version,
            npo_id=npo_id,
        )

    # -- As recorded ------------------------------------------------------------------

    def skeleton(self) -> dict[str, Any]:
        """What is not personal: kinds, ids, due dates, the offering's references."""
        return {
            "kind": self.kind.value,
            "offering_id": self.offering_id,
            "offering_version": self.offering_version,
            "npo_id": self.npo_id,
            "modules": [{"id": m.id, "due": m.due} for m in self.modules],
            "deadlines": [{"id": d.id, "due": d.due} for d in self.deadlines],
        }

    def text(self) -> dict[str, Any]:
        """What is personal: titles and descriptions (sealed in the event store)."""
        return {
            "title": self.title,
            "description": self.description,
            "modules": {m.id: m.title for m in self.modules},
            "deadlines": {d.id: d.title for d in self.deadlines},
        }


@dataclass
class Module:
    id: str
    title: str
    due: str | None
    done: bool = False


@dataclass
class Deadline:
    id: str
    title: str
    due: str


@dataclass
class Item:
    """An item as the roadmap holds it (mutable: the roadmap's events change it)."""

    id: str
    kind: ItemKind
    title: str
    description: str | None
    modules: list[Module]
    deadlines: list[Deadline]
    status: ItemStatus
    requested_by: str  # "candidate" or "mentor"
    requested_at: str
    offering_id: str | None = None
    offering_version: int | None = None
    npo_id: str | None = None
    note: str | None = None  # the mentor's note with a suggestion
    reason: str | None = None  # why it was declined or withdrawn
    approved_at: str | None = None
    completed_at: str | None = None
    # When reminders for this item's deadlines were last (re)scheduled: approval,
    # or a deadline moved. A reminder due before that is not sent late.
    scheduled_since: str | None = None
    # (status, since) oldest first: the time the item spent in each status.
    history: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def from_event(
        cls,
        item_id: str,
        *,
        skeleton: Mapping[str, Any],
        text: Mapping[str, Any] | str,
        status: ItemStatus,
        requested_by: str,
        at: str,
    ) -> Item:
        titles: Mapping[str, Any] = text if isinstance(text, Mapping) else {}
        erased = str(text) if not isinstance(text, Mapping) else None
        module_titles = titles.get("modules") or {}
        deadline_titles = titles.get("deadlines") or {}
        return cls(
            id=item_id,
            kind=ItemKind(skeleton["kind"]),
            title=str(titles.get("title", erased)),
            description=titles.get("description"),
            modules=[
                Module(m["id"], str(module_titles.get(m["id"], erased)), m.get("due"))
                for m in skeleton.get("modules") or ()
            ],
            deadlines=[
                Deadline(d["id"], str(deadline_titles.get(d["id"], erased)), d["due"])
                for d in skeleton.get("deadlines") or ()
            ],
            status=status,
            requested_by=requested_by,
            requested_at=at,
            offering_id=skeleton.get("offering_id"),
            offering_version=skeleton.get("offering_version"),
            npo_id=skeleton.get("npo_id"),
            history=[(status.value, at)],
        )

    @property
    def on_roadmap(self) -> bool:
        return self.status in ON_ROADMAP

    @property
    def done_modules(self) -> int:
        return sum(1 for m in self.modules if m.done)

    def module(self, module_id: str) -> Module | None:
        return next((m for m in self.modules if m.id == module_id), None)

    def deadline(self, deadline_id: str) -> Deadline | None:
        return next((d for d in self.deadlines if d.id == deadline_id), None)

    def forget_texts(self) -> None:
        """Read every personal text as erased (or absent, where none was given)."""
        self.title = ERASED
        self.description = None
        self.note = None
        if self.reason is not None:
            self.reason = ERASED
        for module in self.modules:
            module.title = ERASED
        for deadline in self.deadlines:
            deadline.title = ERASED

    def move_to(self, status: ItemStatus, at: str) -> None:
        if status != self.status:
            self.status = status
            self.history.append((status.value, at))
