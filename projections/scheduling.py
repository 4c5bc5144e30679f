"""The scheduling views: meetings and series with their attendees, availability,
calendar feed tokens (as digests). All relational: rows and tracking commit together.
"""

# Table names come from ViewNames (code), never from input; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from domain.scheduling import local_to_utc, zone
from ports.relational import SqlSession
from projections.contracts import ProjectedEvent, Projection

MEETINGS_PROJECTION = "meetings"


def iso(value: Any) -> str | None:
    """Instants are stored as ISO 8601 UTC text: comparable as strings everywhere."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.astimezone(UTC).isoformat(timespec="seconds")


def series_first_start(local_start: str, time_zone: str) -> datetime:
    local = datetime.fromisoformat(local_start)
    return local_to_utc(local.date(), local.hour * 60 + local.minute, zone(time_zone))


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
                iso(series_first_start(e.local_start, e.time_zone)),
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
