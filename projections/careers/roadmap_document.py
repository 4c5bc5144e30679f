"""A roadmap as its readers see it: one typed document made from the domain.

``roadmap_document`` renders a ``Roadmap`` (as it is now, or as it stood at a moment:
``domain.careers.roadmap.as_of``) into a ``RoadmapDocument``: the derived status and
percentage, the items on the roadmap in priority order (each with its status,
percentage, modules, deadlines and time in each status), the items waiting for a
decision, declined and withdrawn apart, and the feedback. Every figure is the
domain's own (``Roadmap.percent``, ``Roadmap.item_percent``), so the view, the cache
and an as-of read can never disagree. ``to_json``/``from_json`` keep it whole in the
view's row and the cache's value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.careers.roadmap import Roadmap, RoadmapStatus
from domain.careers.roadmap_items import OPEN, WAITING, Item, ItemStatus


@dataclass(frozen=True)
class ModuleView:
    id: str
    title: str
    due: str | None
    done: bool


@dataclass(frozen=True)
class DeadlineView:
    id: str
    title: str
    due: str


@dataclass(frozen=True)
class StatusSpan:
    """The time an item spent in one status: ``until`` None while it still is."""

    status: str
    since: str
    until: str | None
    seconds: float | None


@dataclass(frozen=True)
class ItemView:
    id: str
    kind: str
    title: str
    description: str | None
    status: str
    percent: Decimal
    # Its place among the items on the roadmap (0 first); None off the roadmap.
    priority: int | None
    modules: tuple[ModuleView, ...]
    deadlines: tuple[DeadlineView, ...]
    requested_by: str
    requested_at: str
    approved_at: str | None
    completed_at: str | None
    offering_id: str | None
    offering_version: int | None
    npo_id: str | None
    note: str | None
    reason: str | None
    history: tuple[StatusSpan, ...]


@dataclass(frozen=True)
class FeedbackView:
    completion: int
    rating: int
    comment: str | None
    item_ratings: dict[str, int]
    given_at: str


@dataclass(frozen=True)
class RoadmapDocument:
    candidate_id: str
    status: str
    percent: Decimal
    started_at: str | None
    progressed_at: str | None
    last_activity_at: str | None
    completed_at: str | None
    # The roadmap's version, and the log position of the last event it reflects.
    version: int
    position: int
    items: tuple[ItemView, ...]
    waiting: tuple[ItemView, ...]
    declined: tuple[ItemView, ...]
    withdrawn: tuple[ItemView, ...]
    feedback: FeedbackView | None

    @property
    def awaiting_approval(self) -> list[str]:
        """The ids of the items the candidate asked for, waiting for the mentor."""
        return [i.id for i in self.waiting if i.status == ItemStatus.PENDING_APPROVAL]

    @property
    def open_items(self) -> int:
        return sum(1 for i in self.items if i.status in OPEN)

    def to_json(self) -> str:
        feedback = self.feedback
        return json.dumps(
            {
                "candidate_id": self.candidate_id,
                "status": self.status,
                "percent": str(self.percent),
                "started_at": self.started_at,
                "progressed_at": self.progressed_at,
                "last_activity_at": self.last_activity_at,
                "completed_at": self.completed_at,
                "version": self.version,
                "position": self.position,
                "items": [_plain(i) for i in self.items],
                "waiting": [_plain(i) for i in self.waiting],
                "declined": [_plain(i) for i in self.declined],
                "withdrawn": [_plain(i) for i in self.withdrawn],
                "feedback": None if feedback is None else vars(feedback),
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> RoadmapDocument:
        raw: dict[str, Any] = json.loads(text)
        feedback = raw["feedback"]
        return cls(
            candidate_id=raw["candidate_id"],
            status=raw["status"],
            percent=Decimal(raw["percent"]),
            started_at=raw["started_at"],
            progressed_at=raw["progressed_at"],
            last_activity_at=raw["last_activity_at"],
            completed_at=raw["completed_at"],
            version=int(raw["version"]),
            position=int(raw["position"]),
            items=_items(raw["items"]),
            waiting=_items(raw["waiting"]),
            declined=_items(raw["declined"]),
            withdrawn=_items(raw["withdrawn"]),
            feedback=FeedbackView(**feedback) if feedback else None,
        )


def empty_document(candidate_id: str) -> RoadmapDocument:
    """The roadmap of a candidate who has none yet."""
    return RoadmapDocument(
        candidate_id=candidate_id,
        status=RoadmapStatus.NOT_STARTED.value,
        percent=Decimal("0.0"),
        started_at=None,
        progressed_at=None,
        last_activity_at=None,
        completed_at=None,
        version=0,
        position=0,
        items=(),
        waiting=(),
        declined=(),
        withdrawn=(),
        feedback=None,
    )


def roadmap_document(roadmap: Roadmap, position: int = 0) -> RoadmapDocument:
    """The roadmap as its readers see it (``position``: the last event it reflects)."""
    priorities = {item.id: n for n, item in enumerate(roadmap.on_roadmap)}

    def view(item: Item) -> ItemView:
        return _item_view(roadmap, item, priorities.get(item.id))

    every = list(roadmap.items.values())
    feedback = roadmap.feedback
    return RoadmapDocument(
        candidate_id=roadmap.candidate_id,
        status=roadmap.status.value,
        percent=roadmap.percent,
        started_at=roadmap.started_at,
        progressed_at=roadmap.progressed_at,
        last_activity_at=roadmap.last_activity_at,
        completed_at=roadmap.completed_at,
        version=roadmap.version,
        position=position,
        items=tuple(view(i) for i in roadmap.on_roadmap),
        waiting=tuple(view(i) for i in every if i.status in WAITING),
        declined=tuple(view(i) for i in every if i.status == ItemStatus.DECLINED),
        withdrawn=tuple(view(i) for i in every if i.status == ItemStatus.WITHDRAWN),
        feedback=FeedbackView(
            completion=int(feedback["completion"]),
            rating=int(feedback["rating"]),
            comment=feedback["comment"],
            item_ratings=dict(feedback["item_ratings"]),
            given_at=str(feedback["given_at"]),
        )
        if feedback
        else None,
    )


def _item_view(roadmap: Roadmap, item: Item, priority: int | None) -> ItemView:
    return ItemView(
        id=item.id,
        kind=item.kind.value,
        title=item.title,
        description=item.description,
        status=item.status.value,
        percent=roadmap.item_percent(item.id),
        priority=priority,
        modules=tuple(ModuleView(m.id, m.title, m.due, m.done) for m in item.modules),
        deadlines=tuple(DeadlineView(d.id, d.title, d.due) for d in item.deadlines),
        requested_by=item.requested_by,
        requested_at=item.requested_at,
        approved_at=item.approved_at,
        completed_at=item.completed_at,
        offering_id=item.offering_id,
        offering_version=item.offering_version,
        npo_id=item.npo_id,
        note=item.note,
        reason=item.reason,
        history=_spans(item.history),
    )


def _spans(history: list[tuple[str, str]]) -> tuple[StatusSpan, ...]:
    spans = []
    for n, (status, since) in enumerate(history):
        until = history[n + 1][1] if n + 1 < len(history) else None
        seconds = (
            (
                datetime.fromisoformat(until) - datetime.fromisoformat(since)
            ).total_seconds()
            if until is not None
            else None
        )
        spans.append(StatusSpan(status, since, until, seconds))
    return tuple(spans)


def _plain(item: ItemView) -> dict[str, Any]:
    """An item as JSON has it (``asdict`` without its deep copies: this runs on
    every change of a roadmap)."""
    return {
        **vars(item),
        "percent": str(item.percent),
        "modules": [vars(m) for m in item.modules],
        "deadlines": [vars(d) for d in item.deadlines],
        "history": [vars(h) for h in item.history],
    }


def _items(raw: list[dict[str, Any]]) -> tuple[ItemView, ...]:
    return tuple(
        ItemView(
            **{
                **i,
                "percent": Decimal(i["percent"]),
                "modules": tuple(ModuleView(**m) for m in i["modules"]),
                "deadlines": tuple(DeadlineView(**d) for d in i["deadlines"]),
                "history": tuple(StatusSpan(**s) for s in i["history"]),
            }
        )
        for i in raw
    )
