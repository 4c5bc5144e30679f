"""The roadmaps' due timers: every reminder still to send, and when.

One projection, ``careers_roadmap_timers``, over the careers log. After a batch
holding events of a roadmap, that roadmap's rows are replaced by
``Roadmap.due_timers()`` of the roadmap **as it is now** (loaded through the careers
application the factory was given), in the batch's transaction. A timer whose
condition is gone (the item completed or withdrawn, the deadline moved, progress
made, the reminder sent, the roadmap erased) therefore disappears, and a rebuild
gives the same rows as the live view.

Table ``car_roadmap_timers``: one row per (candidate, kind, subject, due time) with
the recipient (``candidate`` or ``mentor``) and the item id. Ids, kinds and times
only: nothing personal. The timer worker (``adapters.reminders``) takes due rows
(``DueTimers``), sends ``SendRoadmapReminder`` for each and deletes them; the
roadmap records each reminder once, whatever the worker does twice.
"""

# Table names come from ViewNames (code), never from input; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar
from uuid import UUID

from domain.careers.roadmap import Roadmap, Timer
from ports.relational import SqlSession
from projections.careers.roadmaps import RoadmapLoader, roadmap_loader
from projections.contracts import ProjectedEvent, Projection
from projections.engine import live_names

TIMERS_PROJECTION = "careers_roadmap_timers"
TIMERS_TABLE = "car_roadmap_timers"
ROADMAP_EVENTS = "Roadmap."

# How the projection reads a roadmap as it is now (None: there is none).


def stamp(moment: datetime) -> str:
    """A due time as stored: UTC, always with microseconds, so text order is time
    order."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _is_roadmap_event(item: ProjectedEvent) -> bool:
    return item.topic.rpartition(":")[2].startswith(ROADMAP_EVENTS)


class RoadmapTimers(Projection):
    """Bound (``bound``) to the way to load a roadmap as it is now."""

    name = TIMERS_PROJECTION
    sources: ClassVar[tuple[str, ...]] = ("careers",)
    load_roadmap: ClassVar[RoadmapLoader]

    @classmethod
    def bound(cls, load: RoadmapLoader) -> type[RoadmapTimers]:
        """This projection reading roadmaps through ``load``."""
        return type(cls.__name__, (cls,), {"load_roadmap": staticmethod(load)})

    def _table(self) -> str:
        return self.names.table(TIMERS_TABLE)

    def setup(self, session: SqlSession) -> None:
        table = self._table()
        session.execute(
            f"CREATE TABLE IF NOT EXISTS {table} (candidate_id TEXT NOT NULL, "
            "kind TEXT NOT NULL, subject TEXT NOT NULL, due_at TEXT NOT NULL, "
            "recipient TEXT NOT NULL, item_id TEXT, roadmap_id TEXT NOT NULL, "
            "PRIMARY KEY (candidate_id, kind, subject, due_at))"
        )
        session.execute(f"CREATE INDEX IF NOT EXISTS {table}_due ON {table} (due_at)")
        session.execute(
            f"CREATE INDEX IF NOT EXISTS {table}_roadmap ON {table} (roadmap_id)"
        )

    def drop(self, session: SqlSession) -> None:
        session.execute(f"DROP TABLE IF EXISTS {self._table()}")

    def apply(self, session: SqlSession, events: Sequence[ProjectedEvent]) -> None:
        # Each roadmap once per batch, in the order first seen: its state now
        # already holds every later event of the batch.
        touched = dict.fromkeys(
            item.originator_id for item in events if _is_roadmap_event(item)
        )
        load = type(self).load_roadmap  # a plain function stored on the class
        for roadmap_id in touched:
            self._replace(session, roadmap_id, load(roadmap_id))

    def _replace(
        self, session: SqlSession, roadmap_id: UUID, roadmap: Roadmap | None
    ) -> None:
        table = self._table()
        session.execute(
            f"DELETE FROM {table} WHERE roadmap_id = %s", (str(roadmap_id),)
        )
        if roadmap is None:
            return
        rows = [_row(roadmap, timer) for timer in roadmap.due_timers()]
        if rows:
            session.executemany(
                f"INSERT INTO {table} (candidate_id, kind, subject, due_at, "
                "recipient, item_id, roadmap_id) VALUES (%s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (candidate_id, kind, subject, due_at) DO NOTHING",
                rows,
            )


def _row(roadmap: Roadmap, timer: Timer) -> tuple[str | None, ...]:
    return (
        roadmap.candidate_id,
        timer.kind.value,
        timer.subject,
        stamp(timer.due_at),
        timer.recipient,
        timer.item_id,
        str(roadmap.id),
    )


def roadmap_timers_for(
    applications: Mapping[str, object],
) -> list[type[Projection]]:
    """The timers view over the careers application that runs here (none where it
    does not)."""
    careers = applications.get("careers")
    if careers is None:
        return []
    return [RoadmapTimers.bound(roadmap_loader(careers))]


# --- Reading (the timer worker) ------------------------------------------------------


@dataclass(frozen=True)
class DueTimer:
    candidate_id: str
    kind: str
    subject: str
    due_at: datetime
    recipient: str
    item_id: str | None


class DueTimers:
    """The timers view as the worker reads it, inside the worker's transaction."""

    @staticmethod
    def table(session: SqlSession) -> str:
        return live_names(session, TIMERS_PROJECTION).table(TIMERS_TABLE)

    @classmethod
    def take(cls, session: SqlSession, now: datetime, limit: int) -> list[DueTimer]:
        """Up to ``limit`` timers due at ``now``, earliest first. On PostgreSQL the
        rows are locked until the transaction ends and rows another worker holds
        are skipped (``FOR UPDATE SKIP LOCKED``); SQLite has one writer anyway."""
        lock = " FOR UPDATE SKIP LOCKED" if session.dialect == "postgres" else ""
        rows = session.fetchall(
            f"SELECT candidate_id, kind, subject, due_at, recipient, item_id "
            f"FROM {cls.table(session)} WHERE due_at <= %s "
            f"ORDER BY due_at, candidate_id LIMIT {int(limit)}{lock}",
            (stamp(now),),
        )
        return [
            DueTimer(str(c), str(k), str(s), datetime.fromisoformat(str(d)), str(r), i)
            for c, k, s, d, r, i in rows
        ]

    @classmethod
    def count_due(cls, session: SqlSession, now: datetime) -> int:
        """How many timers are due at ``now`` and not yet handled (metrics)."""
        row = session.fetchone(
            f"SELECT COUNT(*) FROM {cls.table(session)} WHERE due_at <= %s",
            (stamp(now),),
        )
        return int(row[0]) if row else 0

    @classmethod
    def done(cls, session: SqlSession, timer: DueTimer) -> None:
        session.execute(
            f"DELETE FROM {cls.table(session)} WHERE candidate_id = %s AND kind = %s "
            "AND subject = %s AND due_at = %s",
            (timer.candidate_id, timer.kind, timer.subject, stamp(timer.due_at)),
        )

    @classmethod
    def all(cls, session: SqlSession) -> list[DueTimer]:
        """Every timer, earliest first (tests, diagnostics)."""
        rows = session.fetchall(
            f"SELECT candidate_id, kind, subject, due_at, recipient, item_id "
            f"FROM {cls.table(session)} ORDER BY due_at, candidate_id, kind, subject"
        )
        return [
            DueTimer(str(c), str(k), str(s), datetime.fromisoformat(str(d)), str(r), i)
            for c, k, s, d, r, i in rows
        ]
