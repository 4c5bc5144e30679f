"""Reads of mentors, their mentees, the mentors' queue and the default cap (CM2).

Who may see what is decided by the routes' role checks and here: a mentor reads
only their own profile and mentees; admins read every mentor and the queue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from domain.base import NotFoundError
from domain.careers.roadmap import NUDGE_AFTER
from ports.relational import RelationalStore
from projections.careers.mentors import (
    MenteeRow,
    MentorRow,
    MentorsReader,
    WaitingRow,
)
from projections.careers.roadmaps import RoadmapsReader, RoadmapSummary
from queries.cursors import decode_cursor, encode_cursor

T = TypeVar("T")

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def _after(cursor: str | None) -> tuple[str, str] | None:
    if not cursor:
        return None
    first, second = decode_cursor(cursor, 2)
    return first, second


def _size(limit: int | None) -> int:
    return max(1, min(limit or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE))


def get_mentor_profile(views: RelationalStore, mentor_id: str) -> MentorRow:
    """A mentor's own profile, load and cap (``NotFoundError`` until they save one)."""
    found = MentorsReader(views).mentor(mentor_id)
    if found is None:
        raise NotFoundError("No mentor profile yet.")
    return found


@dataclass(frozen=True)
class MenteeProgress:
    """A mentee as their mentor's list shows them (CM3): the assignment, and their
    roadmap (None before they have one)."""

    mentee: MenteeRow
    roadmap: RoadmapSummary | None
    # Items on the roadmap still open and no progress for ``NUDGE_AFTER``.
    stalled: bool


def list_mentees(
    views: RelationalStore,
    mentor_id: str,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> list[MenteeProgress]:
    """The mentor's own mentees, the earliest assigned first, each with their
    roadmap's progress, status, last activity, items awaiting approval and whether
    they have stalled."""
    mentees = MentorsReader(views).mentees_of(mentor_id)
    roadmaps = RoadmapsReader(views).summaries([m.candidate_id for m in mentees])
    moment = now()
    return [
        MenteeProgress(m, found, _stalled(found, moment))
        for m in mentees
        for found in [roadmaps.get(m.candidate_id)]
    ]


def _stalled(roadmap: RoadmapSummary | None, now: datetime) -> bool:
    if roadmap is None or roadmap.open_items == 0 or roadmap.progressed_at is None:
        return False
    return datetime.fromisoformat(roadmap.progressed_at) + NUDGE_AFTER <= now


def list_mentors(
    views: RelationalStore, cursor: str | None = None, limit: int | None = None
) -> Page[MentorRow]:
    """Mentors with their load and cap, by when they joined (admins)."""
    size = _size(limit)
    rows = MentorsReader(views).mentors(_after(cursor), size + 1)
    more = len(rows) > size
    items = rows[:size]
    last = items[-1] if more else None
    return Page(items, encode_cursor(last.joined_at, last.mentor_id) if last else None)


def mentor_queue(
    views: RelationalStore, cursor: str | None = None, limit: int | None = None
) -> Page[WaitingRow]:
    """Candidates waiting for a mentor, in serving order, each with their place
    (admins)."""
    size = _size(limit)
    rows = MentorsReader(views).queue(_after(cursor), size + 1)
    more = len(rows) > size
    items = rows[:size]
    last = items[-1] if more else None
    return Page(items, encode_cursor(last.since, last.candidate_id) if last else None)


def mentor_queue_length(views: RelationalStore) -> int:
    """How many candidates wait for a mentor."""
    return MentorsReader(views).queue_length()


def get_mentee_cap(views: RelationalStore) -> int:
    """The platform's default cap on a mentor's active mentees."""
    return MentorsReader(views).default_cap()
