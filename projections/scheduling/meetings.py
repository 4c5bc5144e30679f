"""The meetings view: meetings and series with their attendees, availability and
calendar feed tokens (as digests), all relational, so rows and tracking commit
together.

``meetings`` has one row per meeting or series (a series' ``starts_at`` is its first
occurrence), ``meeting_attendees`` who attends which, ``availability`` each user's
weekly ranges and ``calendar_feeds`` each user's live token digest.
``MeetingsReader`` reads them.
"""

# Table names come from ViewNames (code), never from input; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.scheduling.meeting_series import first_start
from ports.relational import RelationalStore, SqlSession
from projections.contracts import ProjectedEvent, Projection
from projections.engine import live_names
from projections.scheduling.storage import instant, iso

MEETINGS_PROJECTION = "meetings"
MAX_MEETINGS = 1000  # read per user; a user attends far fewer


class MeetingsProjection(Projection):
    """``meetings`` (one row per meeting or series), ``meeting_attendees``,
    ``availability`` and ``calendar_feeds``."""

    name = MEETINGS_PROJECTION
    sources = ("scheduling",)

    def _tables(self) -> tuple[str, str, str, str]:
        t = self.names.table
        return (
            t("meetings"),
            t("meeting_attendees"),
            t("availability"),
            t("calendar_feeds"),
        )

    def setup(self, session: SqlSession) -> None:
        meetings, attendees, availability, feeds = self._tables()
        session.execute(
            f"CREATE TABLE IF NOT EXISTS {meetings} ("
            "id TEXT PRIMARY KEY, kind TEXT NOT NULL, title TEXT NOT NULL, "
            "status TEXT NOT NULL, organiser_id TEXT NOT NULL, "
            "starts_at TEXT, ends_at TEXT, duration_minutes INTEGER NOT NULL, "
            "time_zone TEXT NOT NULL, rrule TEXT, local_start TEXT, "
            "context TEXT NOT NULL, sequence INTEGER NOT NULL, "
            "created_at TEXT NOT NULL, updated_at TEXT NOT NULL)"
        )
        session.execute(
            f"CREATE TABLE IF NOT EXISTS {attendees} ("
            "meeting_id TEXT NOT NULL, user_id TEXT NOT NULL, "
            "PRIMARY KEY (meeting_id, user_id))"
        )
        session.execute(
            f"CREATE INDEX IF NOT EXISTS {attendees}_user ON {attendees} (user_id)"
        )
        session.execute(
            f"CREATE TABLE IF NOT EXISTS {availability} ("
            "aggregate_id TEXT PRIMARY KEY, user_id TEXT NOT NULL UNIQUE, "
            "time_zone TEXT NOT NULL, "
            "ranges TEXT NOT NULL, updated_at TEXT NOT NULL)"
        )
        session.execute(
            f"CREATE TABLE IF NOT EXISTS {feeds} ("
            "aggregate_id TEXT PRIMARY KEY, user_id TEXT NOT NULL UNIQUE, "
            "token_digest TEXT UNIQUE)"
        )

    def drop(self, session: SqlSession) -> None:
        for table in self._tables():
            session.execute(f"DROP TABLE IF EXISTS {table}")

    def apply(self, session: SqlSession, events: Sequence[ProjectedEvent]) -> None:
        for item in events:
            handler = _HANDLERS.get(item.topic.rpartition(":")[2])
            if handler is not None:
                handler(self, session, item)

    # -- meetings -----------------------------------------------------------------

    def _meeting_requested(self, session: SqlSession, item: ProjectedEvent) -> None:
        meetings, attendees, _, _ = self._tables()
        e: Any = item.event
        at = iso(e.timestamp)
        session.execute(
            f"INSERT INTO {meetings} (id, kind, title, status, organiser_id, "
            "starts_at, ends_at, duration_minutes, time_zone, rrule, local_start, "
            "context, sequence, created_at, updated_at) VALUES "
            "(%s, %s, %s, %s, %s, NULL, NULL, %s, %s, NULL, NULL, %s, %s, %s, %s) "
            "ON CONFLICT (id) DO NOTHING",
            (
                str(item.originator_id),
                e.kind,
                e.title,
                "REQUESTED",
                e.organiser_id,
                e.duration_minutes,
                "UTC",
                json.dumps(e.context, sort_keys=True),
                0,
                at,
                at,
            ),
        )
        users = dict.fromkeys(u for group in e.party_groups for u in group)
        self._add_attendees(session, attendees, str(item.originator_id), users)

    def _meeting_booked(self, session: SqlSession, item: ProjectedEvent) -> None:
        e: Any = item.event
        self._update(
            session,
            item,
            "status = %s, starts_at = %s, ends_at = %s, time_zone = %s",
            ("BOOKED", iso(e.starts_at), iso(e.ends_at), e.time_zone),
        )

    def _meeting_not_booked(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._update(session, item, "status = %s", ("NOT_BOOKED",))

    def _cancelled(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._update(session, item, "status = %s", ("CANCELLED",))

    def _update(
        self,
        session: SqlSession,
        item: ProjectedEvent,
        assignments: str,
        values: tuple[Any, ...],
    ) -> None:
        meetings = self._tables()[0]
        session.execute(
            f"UPDATE {meetings} SET {assignments}, sequence = sequence + 1, "
            "updated_at = %s WHERE id = %s",
            (
                *values,
                iso(getattr(item.event, "timestamp", None)),
                str(item.originator_id),
            ),
        )

    # -- series -------------------------------------------------------------------

    def _series_created(self, session: SqlSession, item: ProjectedEvent) -> None:
        meetings, attendees, _, _ = self._tables()
        e: Any = item.event
        at = iso(e.timestamp)
        session.execute(
            f"INSERT INTO {meetings} (id, kind, title, status, organiser_id, "
            "starts_at, ends_at, duration_minutes, time_zone, rrule, local_start, "
            "context, sequence, created_at, updated_at) VALUES "
            "(%s, %s, %s, %s, %s, %s, NULL, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (id) DO NOTHING",
            (
                str(item.originator_id),
                e.kind,
                e.title,
                "BOOKED",
                e.organiser_id,
                iso(first_start(e.local_start, e.time_zone)),
                e.duration_minutes,
                e.time_zone,
                e.rrule,
                e.local_start,
                json.dumps(e.context, sort_keys=True),
                0,
                at,
                at,
            ),
        )
        self._add_attendees(
            session, attendees, str(item.originator_id), [e.organiser_id]
        )

    def _series_joined(self, session: SqlSession, item: ProjectedEvent) -> None:
        attendees = self._tables()[1]
        users = getattr(item.event, "user_ids", [])
        self._add_attendees(session, attendees, str(item.originator_id), users)
        self._update(session, item, "status = status", ())

    def _series_left(self, session: SqlSession, item: ProjectedEvent) -> None:
        attendees = self._tables()[1]
        for user_id in getattr(item.event, "user_ids", []):
            session.execute(
                f"DELETE FROM {attendees} WHERE meeting_id = %s AND user_id = %s",
                (str(item.originator_id), user_id),
            )
        self._update(session, item, "status = status", ())

    @staticmethod
    def _add_attendees(
        session: SqlSession, table: str, meeting: str, users: Any
    ) -> None:
        session.executemany(
            f"INSERT INTO {table} (meeting_id, user_id) VALUES (%s, %s) "
            "ON CONFLICT (meeting_id, user_id) DO NOTHING",
            [(meeting, u) for u in users],
        )

    # -- availability and feeds ---------------------------------------------------
    # Later events of these aggregates carry no user id: rows are also keyed by
    # the aggregate id.

    def _availability(self, session: SqlSession, item: ProjectedEvent) -> None:
        table = self._tables()[2]
        e: Any = item.event
        ranges, at = json.dumps(e.ranges), iso(e.timestamp)
        if item.topic.endswith(".Set"):
            session.execute(
                f"INSERT INTO {table} (aggregate_id, user_id, time_zone, ranges, "
                "updated_at) VALUES (%s, %s, %s, %s, %s) ON CONFLICT (aggregate_id) "
                "DO NOTHING",
                (str(item.originator_id), e.user_id, e.time_zone, ranges, at),
            )
            return
        session.execute(
            f"UPDATE {table} SET time_zone = %s, ranges = %s, updated_at = %s "
            "WHERE aggregate_id = %s",
            (e.time_zone, ranges, at, str(item.originator_id)),
        )

    def _feed(self, session: SqlSession, item: ProjectedEvent) -> None:
        table = self._tables()[3]
        e: Any = item.event
        digest = getattr(e, "token_digest", None)
        if item.topic.endswith(".TokenIssued"):
            session.execute(
                f"INSERT INTO {table} (aggregate_id, user_id, token_digest) "
                "VALUES (%s, %s, %s) ON CONFLICT (aggregate_id) DO NOTHING",
                (str(item.originator_id), e.user_id, digest),
            )
            return
        session.execute(
            f"UPDATE {table} SET token_digest = %s WHERE aggregate_id = %s",
            (digest, str(item.originator_id)),
        )


def _erased(
    self: MeetingsProjection, session: SqlSession, item: ProjectedEvent
) -> None:
    _, attendees, availability, feeds = self._tables()
    user_id = getattr(item.event, "user_id", "")
    for table, column in (
        (attendees, "user_id"),
        (availability, "user_id"),
        (feeds, "user_id"),
    ):
        session.execute(f"DELETE FROM {table} WHERE {column} = %s", (user_id,))


_HANDLERS = {
    "Erasure.Requested": _erased,
    "Meeting.Requested": MeetingsProjection._meeting_requested,
    "Meeting.Booked": MeetingsProjection._meeting_booked,
    "Meeting.NoCommonSlot": MeetingsProjection._meeting_not_booked,
    "Meeting.Cancelled": MeetingsProjection._cancelled,
    "MeetingSeries.Created": MeetingsProjection._series_created,
    "MeetingSeries.AttendeesJoined": MeetingsProjection._series_joined,
    "MeetingSeries.AttendeesLeft": MeetingsProjection._series_left,
    "MeetingSeries.Cancelled": MeetingsProjection._cancelled,
    "Availability.Set": MeetingsProjection._availability,
    "Availability.Changed": MeetingsProjection._availability,
    "CalendarFeed.TokenIssued": MeetingsProjection._feed,
    "CalendarFeed.TokenRotated": MeetingsProjection._feed,
    "CalendarFeed.TokenRevoked": MeetingsProjection._feed,
}


# --- Reading -------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingRow:
    id: str
    kind: str
    title: str
    status: str
    organiser_id: str
    attendees: tuple[str, ...]
    starts_at: datetime | None  # a series: its first occurrence
    duration_minutes: int
    time_zone: str
    rrule: str | None
    local_start: str | None
    context: dict[str, str]
    sequence: int
    created_at: datetime
    updated_at: datetime

    @property
    def ends_at(self) -> datetime | None:
        if self.starts_at is None:
            return None
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def is_series(self) -> bool:
        return self.rrule is not None


@dataclass(frozen=True)
class AvailabilityRow:
    user_id: str
    time_zone: str
    ranges: tuple[tuple[int, int, int], ...]  # weekday, start and end minute
    updated_at: str


class MeetingsReader:
    """Reads the meetings view's live tables (never writes)."""

    def __init__(self, store: RelationalStore) -> None:
        self._store = store

    def attended_by(self, user_id: str) -> list[MeetingRow]:
        """Every meeting and series the user attends (any status), oldest first."""
        with self._store.transaction() as session:
            names = live_names(session, MEETINGS_PROJECTION)
            attendees = names.table("meeting_attendees")
            rows = session.fetchall(
                "SELECT m.id, m.kind, m.title, m.status, m.organiser_id, "
                "m.starts_at, m.duration_minutes, m.time_zone, m.rrule, "
                "m.local_start, m.context, m.sequence, m.created_at, m.updated_at "
                f"FROM {names.table('meetings')} m "
                f"JOIN {attendees} a ON a.meeting_id = m.id "
                "WHERE a.user_id = %s ORDER BY m.created_at, m.id LIMIT %s",
                (user_id, MAX_MEETINGS),
            )
            people = _attendees(session, attendees, [str(r[0]) for r in rows])
        return [_meeting(r, people[str(r[0])]) for r in rows]

    def availability(self, user_id: str) -> AvailabilityRow | None:
        with self._store.transaction() as session:
            table = live_names(session, MEETINGS_PROJECTION).table("availability")
            row = session.fetchone(
                f"SELECT time_zone, ranges, updated_at FROM {table} WHERE user_id = %s",
                (user_id,),
            )
        if row is None:
            return None
        ranges = tuple((int(r[0]), int(r[1]), int(r[2])) for r in json.loads(row[1]))
        return AvailabilityRow(user_id, str(row[0]), ranges, str(row[2]))

    def feed_owner(self, token_digest: str) -> str | None:
        """The user whose live calendar feed token has this digest."""
        with self._store.transaction() as session:
            table = live_names(session, MEETINGS_PROJECTION).table("calendar_feeds")
            row = session.fetchone(
                f"SELECT user_id FROM {table} WHERE token_digest = %s", (token_digest,)
            )
        return str(row[0]) if row else None


def _attendees(
    session: SqlSession, table: str, meetings: list[str]
) -> dict[str, list[str]]:
    people: dict[str, list[str]] = {m: [] for m in meetings}
    for start in range(0, len(meetings), 500):
        chunk = meetings[start : start + 500]
        marks = ", ".join(["%s"] * len(chunk))
        for meeting, attendee in session.fetchall(
            f"SELECT meeting_id, user_id FROM {table} "
            f"WHERE meeting_id IN ({marks}) ORDER BY user_id",
            chunk,
        ):
            people[str(meeting)].append(str(attendee))
    return people


def _meeting(row: Sequence[Any], attendees: list[str]) -> MeetingRow:
    created, updated = instant(row[12]), instant(row[13])
    assert created is not None
    assert updated is not None
    return MeetingRow(
        id=str(row[0]),
        kind=str(row[1]),
        title=str(row[2]),
        status=str(row[3]),
        organiser_id=str(row[4]),
        attendees=tuple(attendees),
        starts_at=instant(row[5]),
        duration_minutes=int(row[6]),
        time_zone=str(row[7]),
        rrule=str(row[8]) if row[8] is not None else None,
        local_start=str(row[9]) if row[9] is not None else None,
        context=json.loads(row[10]),
        sequence=int(row[11]),
        created_at=created,
        updated_at=updated,
    )
