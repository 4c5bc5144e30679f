"""The mentors view (CM2): mentors with their load and cap, mentees, the queue.

One projection, ``careers_mentors``, over the careers log (``Mentor``,
``Candidate`` mentoring events, ``CareersPolicy``), its tables changed with its
tracked position in one transaction (exactly once):

- ``car_mentors``: each mentor's expertise, languages, own cap (if set), active;
  a mentor erased leaves no row;
- ``car_mentees``: candidate → mentor, the reason and since when;
- ``car_mentor_queue``: candidates waiting for a mentor, with their place (since);
- ``car_mentor_policy``: the platform's default cap, one row once an admin set it.

Rows hold ids, category slugs, tags and language codes: nothing personal.
``MentorsReader`` reads them as typed rows; a mentor's load is their count of rows
in ``car_mentees``.
"""

# Table names come from ViewNames (code), never from input; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from domain.careers.careers_policy import DEFAULT_MENTEE_CAP
from ports.relational import RelationalStore, SqlSession
from projections.contracts import ProjectedEvent, Projection, ViewNames, ViewPorts
from projections.engine import live_names

MENTORS_PROJECTION = "careers_mentors"
# Why a mentor erased leaves no row (``commands.careers.mentoring.MENTOR_ERASED``).
ERASED_REASON = "mentor_erased"

_DDL = (
    "CREATE TABLE IF NOT EXISTS {car_mentors} (aggregate_id TEXT PRIMARY KEY, "
    "mentor_id TEXT NOT NULL UNIQUE, categories TEXT NOT NULL, "
    "expertise_tags TEXT NOT NULL, languages TEXT NOT NULL, mentee_cap INTEGER, "
    "active INTEGER NOT NULL, joined_at TEXT NOT NULL, updated_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {car_mentees} (candidate_id TEXT PRIMARY KEY, "
    "mentor_id TEXT NOT NULL, reason TEXT NOT NULL, since TEXT NOT NULL, "
    "assigned_at TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS {car_mentees}_mentor ON {car_mentees} (mentor_id)",
    "CREATE TABLE IF NOT EXISTS {car_mentor_queue} (candidate_id TEXT PRIMARY KEY, "
    "since TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {car_mentor_policy} (id INTEGER PRIMARY KEY, "
    "mentee_cap INTEGER NOT NULL)",
)
TABLES = ("car_mentors", "car_mentees", "car_mentor_queue", "car_mentor_policy")


def _tables(names: ViewNames) -> dict[str, str]:
    return {base: names.table(base) for base in TABLES}


def _when(item: ProjectedEvent) -> str:
    timestamp = getattr(item.event, "timestamp", None)
    if isinstance(timestamp, datetime):
        return timestamp.isoformat(timespec="microseconds")
    return ""


def _field(item: ProjectedEvent, name: str) -> Any:
    return getattr(item.event, name)


class MentorsView(Projection):
    name = MENTORS_PROJECTION
    sources: ClassVar[tuple[str, ...]] = ("careers",)

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
        for item in events:
            handler = _HANDLERS.get(item.topic.rpartition(":")[2])
            if handler is not None:
                handler(self, session, item)

    # -- Mentors ----------------------------------------------------------------------

    def _enrolled(self, session: SqlSession, item: ProjectedEvent) -> None:
        profile = _field(item, "profile")
        at = _when(item)
        session.execute(
            f"INSERT INTO {self.t['car_mentors']} (aggregate_id, mentor_id, "
            "categories, expertise_tags, languages, mentee_cap, active, joined_at, "
            "updated_at) VALUES (%s, %s, %s, %s, %s, NULL, 1, %s, %s) "
            "ON CONFLICT (aggregate_id) DO NOTHING",
            (
                str(item.originator_id),
                _field(item, "user_id"),
                json.dumps(profile["categories"]),
                json.dumps(profile.get("expertise_tags", [])),
                json.dumps(profile.get("languages", [])),
                at,
                at,
            ),
        )

    def _profile_updated(self, session: SqlSession, item: ProjectedEvent) -> None:
        profile = _field(item, "profile")
        session.execute(
            f"UPDATE {self.t['car_mentors']} SET categories = %s, expertise_tags = %s,"
            " languages = %s, updated_at = %s WHERE aggregate_id = %s",
            (
                json.dumps(profile["categories"]),
                json.dumps(profile.get("expertise_tags", [])),
                json.dumps(profile.get("languages", [])),
                _when(item),
                str(item.originator_id),
            ),
        )

    def _rejoined(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._set_active(session, item, 1)

    def _retired(self, session: SqlSession, item: ProjectedEvent) -> None:
        if _field(item, "reason") == ERASED_REASON:
            session.execute(
                f"DELETE FROM {self.t['car_mentors']} WHERE aggregate_id = %s",
                (str(item.originator_id),),
            )
            return
        self._set_active(session, item, 0)

    def _set_active(self, session: SqlSession, item: ProjectedEvent, on: int) -> None:
        session.execute(
            f"UPDATE {self.t['car_mentors']} SET active = %s, updated_at = %s "
            "WHERE aggregate_id = %s",
            (on, _when(item), str(item.originator_id)),
        )

    def _cap_set(self, session: SqlSession, item: ProjectedEvent) -> None:
        session.execute(
            f"UPDATE {self.t['car_mentors']} SET mentee_cap = %s, updated_at = %s "
            "WHERE aggregate_id = %s",
            (_field(item, "mentee_cap"), _when(item), str(item.originator_id)),
        )

    # -- Candidates: mentors and the queue --------------------------------------------

    def _mentor_assigned(self, session: SqlSession, item: ProjectedEvent) -> None:
        candidate = str(item.originator_id)
        session.execute(
            f"INSERT INTO {self.t['car_mentees']} (candidate_id, mentor_id, reason, "
            "since, assigned_at) VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (candidate_id) DO UPDATE SET mentor_id = excluded.mentor_id,"
            " reason = excluded.reason, since = excluded.since, "
            "assigned_at = excluded.assigned_at",
            (
                candidate,
                _field(item, "mentor_id"),
                _field(item, "reason"),
                _field(item, "since"),
                _when(item),
            ),
        )
        self._unqueue(session, candidate)

    def _mentor_unassigned(self, session: SqlSession, item: ProjectedEvent) -> None:
        session.execute(
            f"DELETE FROM {self.t['car_mentees']} WHERE candidate_id = %s",
            (str(item.originator_id),),
        )

    def _waiting(self, session: SqlSession, item: ProjectedEvent) -> None:
        session.execute(
            f"INSERT INTO {self.t['car_mentor_queue']} (candidate_id, since) "
            "VALUES (%s, %s) ON CONFLICT (candidate_id) DO NOTHING",
            (str(item.originator_id), _field(item, "since")),
        )

    def _stopped_waiting(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._unqueue(session, str(item.originator_id))

    def _candidate_erased(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._mentor_unassigned(session, item)
        self._unqueue(session, str(item.originator_id))

    def _unqueue(self, session: SqlSession, candidate: str) -> None:
        session.execute(
            f"DELETE FROM {self.t['car_mentor_queue']} WHERE candidate_id = %s",
            (candidate,),
        )

    # -- The default cap --------------------------------------------------------------

    def _policy(self, session: SqlSession, item: ProjectedEvent) -> None:
        # No row until an admin first sets it: the reader answers the default.
        session.execute(
            f"INSERT INTO {self.t['car_mentor_policy']} (id, mentee_cap) "
            "VALUES (1, %s) "
            "ON CONFLICT (id) DO UPDATE SET mentee_cap = excluded.mentee_cap",
            (_field(item, "mentee_cap"),),
        )


_HANDLERS: dict[str, Callable[[MentorsView, SqlSession, ProjectedEvent], None]] = {
    "Mentor.Enrolled": MentorsView._enrolled,
    "Mentor.ProfileUpdated": MentorsView._profile_updated,
    "Mentor.Rejoined": MentorsView._rejoined,
    "Mentor.Retired": MentorsView._retired,
    "Mentor.CapSet": MentorsView._cap_set,
    "Candidate.MentorAssigned": MentorsView._mentor_assigned,
    "Candidate.MentorUnassigned": MentorsView._mentor_unassigned,
    "Candidate.WaitingForMentor": MentorsView._waiting,
    "Candidate.StoppedWaitingForMentor": MentorsView._stopped_waiting,
    "Candidate.Erased": MentorsView._candidate_erased,
    "CareersPolicy.Started": MentorsView._policy,
    "CareersPolicy.Changed": MentorsView._policy,
}


# --- Reading --------------------------------------------------------------------------


@dataclass(frozen=True)
class MentorRow:
    mentor_id: str
    categories: tuple[str, ...]
    expertise_tags: tuple[str, ...]
    languages: tuple[str, ...]
    mentee_cap: int | None  # their own cap, if an admin set one
    effective_cap: int  # their own cap, else the platform's default
    active_mentees: int
    active: bool
    joined_at: str


@dataclass(frozen=True)
class MenteeRow:
    candidate_id: str
    mentor_id: str
    reason: str
    since: str
    assigned_at: str


@dataclass(frozen=True)
class WaitingRow:
    candidate_id: str
    since: str
    position: int  # 1 is served first


_MENTOR_COLUMNS = (
    "m.mentor_id, m.categories, m.expertise_tags, m.languages, m.mentee_cap, "
    "m.active, m.joined_at, "
    "(SELECT COUNT(*) FROM {car_mentees} e WHERE e.mentor_id = m.mentor_id)"
)


class MentorsReader:
    """Typed reads of the mentors view."""

    def __init__(self, views: RelationalStore) -> None:
        self._views = views

    def default_cap(self) -> int:
        with self._views.transaction() as session:
            return self._default_cap(session, self._names(session))

    def mentors(
        self, after: tuple[str, str] | None = None, limit: int | None = None
    ) -> list[MentorRow]:
        """Mentors by when they joined (then id), after ``(joined_at, mentor_id)``;
        at most ``limit``."""
        where: str = ""
        params: tuple[str, ...] = ()
        if after is not None:
            where = "WHERE m.joined_at > %s OR (m.joined_at = %s AND m.mentor_id > %s)"
            params = (after[0], after[0], after[1])
        return self._mentors(where, params, limit)

    def mentor(self, mentor_id: str) -> MentorRow | None:
        found = self._mentors("WHERE m.mentor_id = %s", (mentor_id,), None)
        return found[0] if found else None

    def mentees_of(self, mentor_id: str) -> list[MenteeRow]:
        """A mentor's mentees, the earliest assigned first."""
        with self._views.transaction() as session:
            t = self._names(session)
            rows = session.fetchall(
                f"SELECT candidate_id, mentor_id, reason, since, assigned_at FROM "
                f"{t['car_mentees']} WHERE mentor_id = %s "
                "ORDER BY assigned_at, candidate_id",
                (mentor_id,),
            )
        return [MenteeRow(*(str(v) for v in row)) for row in rows]

    def mentee(self, candidate_id: str) -> MenteeRow | None:
        with self._views.transaction() as session:
            t = self._names(session)
            row = session.fetchone(
                f"SELECT candidate_id, mentor_id, reason, since, assigned_at FROM "
                f"{t['car_mentees']} WHERE candidate_id = %s",
                (candidate_id,),
            )
        return MenteeRow(*(str(v) for v in row)) if row else None

    def queue_length(self) -> int:
        """How many candidates wait for a mentor (metrics)."""
        with self._views.transaction() as session:
            t = self._names(session)
            row = session.fetchone(f"SELECT COUNT(*) FROM {t['car_mentor_queue']}")
        return int(row[0]) if row else 0

    def queue(
        self, after: tuple[str, str] | None = None, limit: int | None = None
    ) -> list[WaitingRow]:
        """Candidates waiting for a mentor, in serving order, after ``(since,
        candidate_id)``; at most ``limit``. Each with their place in the queue."""
        where: str = ""
        params: tuple[str, ...] = ()
        if after is not None:
            where = "WHERE since > %s OR (since = %s AND candidate_id > %s)"
            params = (after[0], after[0], after[1])
        bound = f" LIMIT {int(limit)}" if limit is not None else ""
        with self._views.transaction() as session:
            t = self._names(session)
            ahead = 0
            if after is not None:
                row = session.fetchone(
                    f"SELECT COUNT(*) FROM {t['car_mentor_queue']} WHERE since < %s "
                    "OR (since = %s AND candidate_id <= %s)",
                    params,
                )
                ahead = int(row[0]) if row else 0
            rows = session.fetchall(
                f"SELECT candidate_id, since FROM {t['car_mentor_queue']} {where} "
                f"ORDER BY since, candidate_id{bound}",
                params,
            )
        return [
            WaitingRow(str(c), str(s), ahead + n)
            for n, (c, s) in enumerate(rows, start=1)
        ]

    # -- helpers ----------------------------------------------------------------------

    def _names(self, session: SqlSession) -> dict[str, str]:
        return _tables(live_names(session, MENTORS_PROJECTION))

    def _default_cap(self, session: SqlSession, t: dict[str, str]) -> int:
        row = session.fetchone(
            f"SELECT mentee_cap FROM {t['car_mentor_policy']} WHERE id = 1"
        )
        return int(row[0]) if row else DEFAULT_MENTEE_CAP

    def _mentors(
        self, where: str, params: Sequence[Any], limit: int | None
    ) -> list[MentorRow]:
        bound = f" LIMIT {int(limit)}" if limit is not None else ""
        with self._views.transaction() as session:
            t = self._names(session)
            default_cap = self._default_cap(session, t)
            rows = session.fetchall(
                f"SELECT {_MENTOR_COLUMNS.format(**t)} FROM {t['car_mentors']} m "
                f"{where} ORDER BY m.joined_at, m.mentor_id{bound}",
                params,
            )
        found = []
        for mentor_id, cats, tags, langs, cap, active, joined_at, load in rows:
            found.append(
                MentorRow(
                    mentor_id=str(mentor_id),
                    categories=tuple(json.loads(cats)),
                    expertise_tags=tuple(json.loads(tags)),
                    languages=tuple(json.loads(langs)),
                    mentee_cap=cap,
                    effective_cap=cap if cap is not None else default_cap,
                    active_mentees=int(load),
                    active=bool(active),
                    joined_at=str(joined_at),
                )
            )
        return found
