"""Reads of a candidate's roadmap: now (cached), as it stood at a moment, and its
progress over time (#4, C6, CM3).

Who sees what: a candidate reads only their own roadmap; an admin any; a mentor
only their mentees' (anyone else is told there is no such candidate: 404, so ids
are not confirmed).

Now: the cache first (``careers_roadmap_cache``), PostgreSQL (``careers_roadmaps``)
when the cache is down, has no entry, or holds a document older than the position
the caller must see (read-your-writes). A candidate without a roadmap has an empty
one (not started, 0 %).

History is answered from the roadmap's events (``RoadmapLog``), never a snapshot:
``as_of`` replays them up to the moment, ``progress_history`` gives the percentage
after each event that changed it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

from domain.base import InvalidFieldError, NotFoundError
from domain.careers import roadmap as domain
from domain.careers.values import ROLE_ADMIN, ROLE_CAREER_MENTOR
from ports.cache import Cache
from ports.errors import BackendUnavailableError
from ports.relational import RelationalStore
from projections.careers.mentors import MentorsReader
from projections.careers.roadmap_document import (
    RoadmapDocument,
    empty_document,
    roadmap_document,
)
from projections.careers.roadmaps import CachedRoadmaps, RoadmapsReader

NO_CANDIDATE = "No such candidate."
# An ``as_of`` moment: an ISO 8601 date and time, with seconds and their fraction
# optional, and an offset (UTC without one).
MOMENT_PATTERN = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?"
    r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?$"
)
CAREERS_SOURCE = "careers"


class RoadmapLog(Protocol):
    """A candidate's roadmap events, oldest first, decoded (personal data unsealed
    while the person is not erased)."""

    def events(self, candidate_id: str) -> Sequence[Any]: ...


@dataclass(frozen=True)
class Wanted:
    """The log position a read must reflect (a command's consistency token)."""

    source: str
    position: int


class RoadmapReads:
    """Roadmap documents, cached; one per process (it counts where answers came
    from, for the benchmark and tests)."""

    def __init__(self, views: RelationalStore, cache: Cache) -> None:
        self._view = RoadmapsReader(views)
        self._cache = CachedRoadmaps(cache, views)
        self._lock = threading.Lock()
        self.cache_hits = 0
        self.cache_misses = 0
        self.cache_errors = 0

    def document(
        self, candidate_id: str, wanted: Wanted | None = None, *, use_cache: bool = True
    ) -> RoadmapDocument:
        """The candidate's roadmap now (at least as new as ``wanted``)."""
        if use_cache:
            cached = self._cached(candidate_id)
            if cached is not None and _reflects(cached, wanted):
                self._count("cache_hits")
                return cached
            self._count("cache_misses")
        found = self._view.document(candidate_id)
        return found if found is not None else empty_document(candidate_id)

    def _cached(self, candidate_id: str) -> RoadmapDocument | None:
        try:
            return self._cache.document(candidate_id)
        except BackendUnavailableError:
            self._count("cache_errors")
            return None

    def _count(self, counter: str) -> None:
        with self._lock:
            setattr(self, counter, getattr(self, counter) + 1)


def _reflects(document: RoadmapDocument, wanted: Wanted | None) -> bool:
    if wanted is None:
        return True
    # A position in another application's log says nothing of this roadmap's:
    # PostgreSQL (waited for by the route) answers.
    return wanted.source == CAREERS_SOURCE and document.position >= wanted.position


def may_read(
    views: RelationalStore, viewer_id: str, roles: frozenset[str], candidate_id: str
) -> None:
    """Admins read any roadmap, a mentor their mentees'; ``NotFoundError`` else."""
    if ROLE_ADMIN in roles:
        return
    if ROLE_CAREER_MENTOR in roles:
        mentee = MentorsReader(views).mentee(candidate_id)
        if mentee is not None and mentee.mentor_id == viewer_id:
            return
    raise NotFoundError(NO_CANDIDATE)


def parse_moment(
    text: str, now: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> datetime:
    """An ``as_of`` timestamp: ISO 8601 (UTC without an offset), not in the future."""
    if not re.match(MOMENT_PATTERN, text):
        raise InvalidFieldError(
            "as_of", "must be an ISO 8601 timestamp, e.g. 2026-01-31T12:00:00Z"
        )
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise InvalidFieldError("as_of", "is not a real date") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment > now():
        raise InvalidFieldError("as_of", "must not be in the future")
    return moment


def roadmap_as_of(
    log: RoadmapLog, candidate_id: str, moment: datetime
) -> RoadmapDocument:
    """The roadmap as it stood at ``moment``, replayed from its events."""
    roadmap = domain.as_of(log.events(candidate_id), moment)
    if roadmap is None:
        return empty_document(candidate_id)
    return roadmap_document(roadmap)


@dataclass(frozen=True)
class ProgressPoint:
    at: datetime
    percent: Decimal


def progress_history(log: RoadmapLog, candidate_id: str) -> list[ProgressPoint]:
    """The roadmap's percentage after each event that changed it, oldest first."""
    return [
        ProgressPoint(at, figure)
        for at, figure in domain.progress_history(log.events(candidate_id))
    ]
