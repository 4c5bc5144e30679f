"""The roadmaps view (#4, C6, CM3): each candidate's roadmap, its progress and items.

Two projections over the careers log, both folding with the domain: each keeps the
roadmaps it follows in memory and applies every new event to them with the event's
own ``mutate`` (a roadmap it lacks is loaded through the careers application,
``RoadmapLoader``), then renders the changed ones (``roadmap_document``), so every
figure is the domain's own.

- ``careers_roadmaps`` (PostgreSQL; SQLite embedded), changed with its position in
  one transaction: ``car_roadmaps``, one row per roadmap (status, percent NUMERIC,
  when progress was last made, last activity, items awaiting approval, open items,
  version, the log position it reflects, and the whole document), and
  ``car_roadmap_items``, one row per item (status, percent, priority, modules).
- ``careers_roadmap_cache`` (Redis; in memory embedded): one key per candidate
  holding the document, written with ``Cache.set_if_newer`` guarded by the log
  position of the roadmap's last event, so a replayed (older) batch never replaces
  a newer value. It retries until Redis is back; readers meanwhile read PostgreSQL.

Titles, descriptions, reasons, notes and feedback comments are personal data: an
erased roadmap (``Roadmap.Erased``, recorded when the candidate is erased) leaves no
row and no key, and a rebuild after the erasure writes none.
"""

# Table names come from ViewNames (code), never from input; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.careers.roadmap import Roadmap
from ports.cache import Cache, split_versioned
from ports.relational import RelationalStore, SqlSession
from projections.careers.roadmap_document import RoadmapDocument, roadmap_document
from projections.contracts import ProjectedEvent, Projection, ViewNames, ViewPorts
from projections.engine import live_names, live_version

ROADMAPS_PROJECTION = "careers_roadmaps"
ROADMAP_CACHE_PROJECTION = "careers_roadmap_cache"
ROADMAP_KEY = "roadmap"
ROADMAP_TOPIC = "domain.careers.roadmap:Roadmap."

# The roadmap as it is now, or None if there is none (the careers application's
# repository, given by ``projections.careers.views``).
RoadmapLoader = Callable[[UUID], Roadmap | None]


def roadmap_loader(application: Any) -> RoadmapLoader:
    """Roadmaps as they are now, from the careers application's repository."""

    def load(roadmap_id: UUID) -> Roadmap | None:
        try:
            found = application.repository.get(roadmap_id)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, Roadmap) else None

    return load


_DDL = (
    "CREATE TABLE IF NOT EXISTS {car_roadmaps} (roadmap_id TEXT PRIMARY KEY, "
    "candidate_id TEXT NOT NULL UNIQUE, status TEXT NOT NULL, "
    "percent NUMERIC(4, 1) NOT NULL, progressed_at TEXT, last_activity_at TEXT, "
    "awaiting_approval TEXT NOT NULL, open_items INTEGER NOT NULL, "
    "version INTEGER NOT NULL, position BIGINT NOT NULL, document TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {car_roadmap_items} (candidate_id TEXT NOT NULL, "
    "item_id TEXT NOT NULL, status TEXT NOT NULL, percent NUMERIC(4, 1) NOT NULL, "
    "priority INTEGER, modules TEXT NOT NULL, PRIMARY KEY (candidate_id, item_id))",
)
TABLES = ("car_roadmaps", "car_roadmap_items")


def _tables(names: ViewNames) -> dict[str, str]:
    return {base: names.table(base) for base in TABLES}


def touched(events: Iterable[ProjectedEvent]) -> dict[UUID, int]:
    """The roadmaps a batch changed, each with the position of its last event."""
    last: dict[UUID, int] = {}
    for item in events:
        if item.topic.startswith(ROADMAP_TOPIC):
            last[item.originator_id] = item.position
    return last


@dataclass(frozen=True)
class Changed:
    """A roadmap a batch changed: the position of its last event there, and its
    document (None once erased)."""

    roadmap_id: UUID
    candidate_id: str
    position: int
    document: RoadmapDocument | None


class _FoldsRoadmaps(Projection):
    """A projection given the careers application's roadmaps (``bound``).

    It keeps the roadmaps it saw last in memory and applies each new event to them
    with the domain's own ``mutate``; a roadmap it does not hold at the version just
    before an event (first seen, evicted, or the process restarted) is loaded.
    """

    sources: ClassVar[tuple[str, ...]] = ("careers",)
    load: ClassVar[RoadmapLoader]
    # Roadmaps kept folded in memory, the least recently changed evicted first.
    kept: ClassVar[int] = 5000

    def __init__(self, names: ViewNames, ports: ViewPorts) -> None:
        super().__init__(names, ports)
        self._folded: OrderedDict[UUID, Roadmap] = OrderedDict()

    @classmethod
    def bound(cls, load: RoadmapLoader) -> type[_FoldsRoadmaps]:
        """This projection reading roadmaps through ``load``."""
        return type(cls.__name__, (cls,), {"load": staticmethod(load)})

    def documents(self, events: Sequence[ProjectedEvent]) -> list[Changed]:
        """Each roadmap the batch changed, as it stands after the batch."""
        found = []
        for roadmap_id, position in touched(events).items():
            roadmap = self._folded.get(roadmap_id)
            if roadmap is None:
                continue
            if roadmap.erased:
                # Nothing personal stays in memory once the person is erased.
                del self._folded[roadmap_id]
            document = None if roadmap.erased else roadmap_document(roadmap, position)
            found.append(Changed(roadmap_id, roadmap.candidate_id, position, document))
        return found

    def fold(self, events: Sequence[ProjectedEvent]) -> list[Changed]:
        for item in events:
            if item.topic.startswith(ROADMAP_TOPIC):
                self._fold(item)
        return self.documents(events)

    def _fold(self, item: ProjectedEvent) -> None:
        roadmap_id = item.originator_id
        current = self._folded.get(roadmap_id)
        version = item.originator_version
        if current is not None and current.version >= version:
            return  # loaded after this event already (or a replayed batch)
        if (current is None and version == 1) or (
            current is not None and current.version == version - 1
        ):
            folded: Roadmap = item.event.mutate(current)  # type: ignore[attr-defined]
        else:
            loaded = type(self).load(roadmap_id)
            if loaded is None:
                return
            folded = loaded
        self._folded[roadmap_id] = folded
        self._folded.move_to_end(roadmap_id)
        while len(self._folded) > self.kept:
            self._folded.popitem(last=False)


class RoadmapsView(_FoldsRoadmaps):
    name = ROADMAPS_PROJECTION

    def __init__(self, names: ViewNames, ports: ViewPorts) -> None:
        super().__init__(names, ports)
        self.t = _tables(names)

    def setup(self, session: SqlSession) -> None:
        for statement in _DDL:
            session.execute(statement.format(**self.t))

    def drop(self, session: SqlSession) -> None:
        for table in self.t.values():
            session.execute(f"DROP TABLE IF EXISTS {table}")

    def apply(self, session: SqlSession, events: Sequence[ProjectedEvent]) -> None:
        roadmaps, items = self.t["car_roadmaps"], self.t["car_roadmap_items"]
        for changed in self.fold(events):
            document, position = changed.document, changed.position
            row = session.fetchone(
                f"SELECT position FROM {roadmaps} WHERE roadmap_id = %s",
                (str(changed.roadmap_id),),
            )
            if row is not None and int(row[0]) >= position and document is not None:
                continue  # a replayed batch: the row is as new already
            session.execute(
                f"DELETE FROM {items} WHERE candidate_id = %s", (changed.candidate_id,)
            )
            session.execute(
                f"DELETE FROM {roadmaps} WHERE roadmap_id = %s",
                (str(changed.roadmap_id),),
            )
            if document is None:
                continue
            session.execute(
                f"INSERT INTO {roadmaps} (roadmap_id, candidate_id, status, percent, "
                "progressed_at, last_activity_at, awaiting_approval, open_items, "
                "version, position, document) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    str(changed.roadmap_id),
                    document.candidate_id,
                    document.status,
                    str(document.percent),
                    document.progressed_at,
                    document.last_activity_at,
                    json.dumps(document.awaiting_approval),
                    document.open_items,
                    document.version,
                    position,
                    document.to_json(),
                ),
            )
            every = (
                *document.items,
                *document.waiting,
                *document.declined,
                *document.withdrawn,
            )
            if every:
                session.executemany(
                    f"INSERT INTO {items} (candidate_id, item_id, status, percent, "
                    "priority, modules) VALUES (%s, %s, %s, %s, %s, %s)",
                    [
                        (
                            document.candidate_id,
                            i.id,
                            i.status,
                            str(i.percent),
                            i.priority,
                            json.dumps(
                                [{"id": m.id, "done": m.done} for m in i.modules]
                            ),
                        )
                        for i in every
                    ],
                )


class RoadmapCache(_FoldsRoadmaps):
    """One Redis key per candidate: their roadmap's document, version-guarded."""

    name = ROADMAP_CACHE_PROJECTION
    # Redis may be down for a while; the cache must catch up (and purge) afterwards.
    retry_forever = True

    def setup(self, session: SqlSession) -> None:
        return None

    def key(self, candidate_id: str) -> str:
        return self.names.key_prefix(ROADMAP_KEY) + candidate_id

    def apply(self, session: SqlSession, events: Sequence[ProjectedEvent]) -> None:
        for changed in self.fold(events):
            key = self.key(changed.candidate_id)
            if changed.document is None:
                self.ports.cache.delete(key)
                continue
            self.ports.cache.set_if_newer(
                key, changed.position, changed.document.to_json().encode()
            )

    def drop(self, session: SqlSession) -> None:
        cache = self.ports.cache
        keys = cache.keys(self.names.key_prefix(ROADMAP_KEY))
        for start in range(0, len(keys), 1000):
            cache.delete(*keys[start : start + 1000])


# --- Reading --------------------------------------------------------------------------


@dataclass(frozen=True)
class RoadmapSummary:
    """What a mentor's list of mentees shows of a roadmap."""

    candidate_id: str
    status: str
    percent: Decimal
    progressed_at: str | None
    last_activity_at: str | None
    awaiting_approval: tuple[str, ...]
    open_items: int


class RoadmapsReader:
    """Typed reads of the roadmaps view (PostgreSQL)."""

    def __init__(self, views: RelationalStore) -> None:
        self._views = views

    def document(self, candidate_id: str) -> RoadmapDocument | None:
        with self._views.transaction() as session:
            t = _tables(live_names(session, ROADMAPS_PROJECTION))
            row = session.fetchone(
                f"SELECT document FROM {t['car_roadmaps']} WHERE candidate_id = %s",
                (candidate_id,),
            )
        return RoadmapDocument.from_json(str(row[0])) if row else None

    def summaries(self, candidate_ids: Sequence[str]) -> dict[str, RoadmapSummary]:
        if not candidate_ids:
            return {}
        marks = ", ".join(["%s"] * len(candidate_ids))
        with self._views.transaction() as session:
            t = _tables(live_names(session, ROADMAPS_PROJECTION))
            rows = session.fetchall(
                "SELECT candidate_id, status, percent, progressed_at, "
                f"last_activity_at, awaiting_approval, open_items FROM "
                f"{t['car_roadmaps']} WHERE candidate_id IN ({marks})",
                tuple(candidate_ids),
            )
        return {
            str(c): RoadmapSummary(
                candidate_id=str(c),
                status=str(s),
                percent=Decimal(str(p)).quantize(Decimal("0.1")),
                progressed_at=None if pa is None else str(pa),
                last_activity_at=None if la is None else str(la),
                awaiting_approval=tuple(json.loads(aw)),
                open_items=int(o),
            )
            for c, s, p, pa, la, aw, o in rows
        }


class CachedRoadmaps:
    """Roadmap documents from the cache's live keys; cache errors propagate.

    The live version of the cache projection is remembered for a few seconds, so a
    cached read asks nothing of PostgreSQL.
    """

    def __init__(
        self,
        cache: Cache,
        views: RelationalStore,
        *,
        version_ttl_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cache = cache
        self._views = views
        self._ttl = version_ttl_seconds
        self._clock = clock
        self._version: tuple[int, float] | None = None
        self._lock = threading.Lock()

    def _live_version(self) -> int:
        now = self._clock()
        with self._lock:
            known = self._version
        if known is not None and known[1] > now:
            return known[0]
        try:
            with self._views.transaction() as session:
                version = live_version(session, ROADMAP_CACHE_PROJECTION)
        except Exception:  # noqa: BLE001 - before the engine's first run: version 1
            version = 1
        with self._lock:
            self._version = (version, now + self._ttl)
        return version

    def document(self, candidate_id: str) -> RoadmapDocument | None:
        names = ViewNames(ROADMAP_CACHE_PROJECTION, self._live_version())
        stored = self._cache.get(names.key_prefix(ROADMAP_KEY) + candidate_id)
        found = split_versioned(stored) if stored is not None else None
        return RoadmapDocument.from_json(found[1]) if found else None
