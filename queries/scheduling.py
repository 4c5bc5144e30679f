"""Reads over the scheduling and notification views (never over aggregates)."""

# Table names come from ViewNames (code), never from input; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.scheduling import RecurrenceRule, zone
from ports.relational import RelationalStore, SqlSession
from projections.contracts import ViewNames
from projections.engine import active_version
from projections.notifications import NOTIFICATIONS_PROJECTION
from projections.scheduling import MEETINGS_PROJECTION
from queries.cursors import InvalidCursorError, decode_cursor, encode_cursor

MAX_PAGE_SIZE = 100
MAX_MEETINGS = 1000  # per user; a user attends far fewer


def _table(session: SqlSession, projection: str, base: str) -> str:
    return ViewNames(projection, active_version(session, projection)).table(base)


# --- Notifications ---------------------------------------------------------------


@dataclass(frozen=True)
class NotificationItem:
    id: str
    kind: str
    payload: dict[str, Any]
    created_at: str
    read_at: str | None
    recipient: str


@dataclass(frozen=True)
class Page:
    items: list[NotificationItem]
    next_cursor: str | None


def list_notifications(
    store: RelationalStore,
    user_id: str,
    *,
    audiences: Sequence[str] = (),
    limit: int = 20,
    cursor: str | None = None,
    unread_only: bool = False,
) -> Page:
    """The user's notifications (and their roles' shared ones), newest first."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    recipients = [user_id, *audiences]
    marks = ", ".join(["%s"] * len(recipients))
    conditions = [f"n.user_id IN ({marks})"]
    params: list[Any] = [user_id, *recipients]
    if cursor is not None:
        created_at, last_id = decode_cursor(cursor, 2)
        conditions.append("(n.created_at < %s OR (n.created_at = %s AND n.id < %s))")
        params += [created_at, created_at, last_id]
    if unread_only:
        conditions.append("r.read_at IS NULL")
    with store.transaction() as session:
        rows_table = _table(session, NOTIFICATIONS_PROJECTION, "notifications")
        reads = _table(session, NOTIFICATIONS_PROJECTION, "notification_reads")
        rows = session.fetchall(
            f"SELECT n.id, n.kind, n.payload, n.created_at, r.read_at, n.user_id "
            f"FROM {rows_table} n LEFT JOIN {reads} r "
            "ON r.notification_id = n.id AND r.user_id = %s "
            f"WHERE {' AND '.join(conditions)} "
            "ORDER BY n.created_at DESC, n.id DESC LIMIT %s",
            [*params, limit + 1],
        )
    items = [
        NotificationItem(
            id=str(r[0]),
            kind=str(r[1]),
            payload=json.loads(r[2]),
            created_at=str(r[3]),
            read_at=str(r[4]) if r[4] is not None else None,
            recipient=str(r[5]),
        )
        for r in rows[:limit]
    ]
    more = len(rows) > limit
    next_cursor = (
        encode_cursor(items[-1].created_at, items[-1].id) if more and items else None
    )
    return Page(items, next_cursor)


def notification_recipient(store: RelationalStore, notification_id: str) -> str | None:
    """Who a notification is addressed to (a user id or ``role:...``), if it exists."""
    with store.transaction() as session:
        rows_table = _table(session, NOTIFICATIONS_PROJECTION, "notifications")
        row = session.fetchone(
            f"SELECT user_id FROM {rows_table} WHERE id = %s", (notification_id,)
        )
    return str(row[0]) if row else None


# --- Meetings --------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingItem:
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
    next_starts: tuple[datetime, ...] = field(default=())

    @property
    def ends_at(self) -> datetime | None:
        if self.starts_at is None:
            return None
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def is_series(self) -> bool:
        return self.rrule is not None


def _when(text: Any) -> datetime | None:
    return datetime.fromisoformat(str(text)) if text is not None else None


def meetings_of(store: RelationalStore, user_id: str) -> list[MeetingItem]:
    """Every meeting and series the user attends (any status)."""
    with store.transaction() as session:
        meetings = _table(session, MEETINGS_PROJECTION, "meetings")
        attendees = _table(session, MEETINGS_PROJECTION, "meeting_attendees")
        rows = session.fetchall(
            "SELECT m.id, m.kind, m.title, m.status, m.organiser_id, m.starts_at, "
            "m.duration_minutes, m.time_zone, m.rrule, m.local_start, m.context, "
            "m.sequence, m.created_at, m.updated_at "
            f"FROM {meetings} m JOIN {attendees} a ON a.meeting_id = m.id "
            "WHERE a.user_id = %s ORDER BY m.created_at, m.id LIMIT %s",
            (user_id, MAX_MEETINGS),
        )
        ids = [str(r[0]) for r in rows]
        people: dict[str, list[str]] = {i: [] for i in ids}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join(["%s"] * len(chunk))
            for meeting, attendee in session.fetchall(
                f"SELECT meeting_id, user_id FROM {attendees} "
                f"WHERE meeting_id IN ({marks}) ORDER BY user_id",
                chunk,
            ):
                people[str(meeting)].append(str(attendee))
    found = []
    for r in rows:
        created, updated = _when(r[12]), _when(r[13])
        assert created is not None
        assert updated is not None
        found.append(
            MeetingItem(
                id=str(r[0]),
                kind=str(r[1]),
                title=str(r[2]),
                status=str(r[3]),
                organiser_id=str(r[4]),
                attendees=tuple(people[str(r[0])]),
                starts_at=_when(r[5]),
                duration_minutes=int(r[6]),
                time_zone=str(r[7]),
                rrule=str(r[8]) if r[8] is not None else None,
                local_start=str(r[9]) if r[9] is not None else None,
                context=json.loads(r[10]),
                sequence=int(r[11]),
                created_at=created,
                updated_at=updated,
            )
        )
    return found


def next_occurrences(
    item: MeetingItem, now: datetime, count: int = 3, horizon_days: int = 400
) -> tuple[datetime, ...]:
    """The next starts (UTC) of a meeting or series that end after ``now``."""
    duration = timedelta(minutes=item.duration_minutes)
    if item.rrule is None or item.local_start is None:
        if item.starts_at is not None and item.starts_at + duration > now:
            return (item.starts_at,)
        return ()
    rule = RecurrenceRule.parse(item.rrule)
    starts = rule.between(
        datetime.fromisoformat(item.local_start),
        zone(item.time_zone),
        now - duration,
        now + timedelta(days=horizon_days),
        limit=count + 1,
    )
    return tuple(s for s in starts if s + duration > now)[:count]


@dataclass(frozen=True)
class MeetingsPage:
    items: list[MeetingItem]
    next_cursor: str | None


def list_meetings(
    store: RelationalStore,
    user_id: str,
    *,
    now: datetime | None = None,
    limit: int = 20,
    cursor: str | None = None,
    include_past: bool = False,
) -> MeetingsPage:
    """Booked meetings and live series, upcoming first (by next start), then past
    ones (latest first) when asked. A user has few meetings, so the order is
    computed here; the cursor is an offset into it."""
    now = now or datetime.now(UTC)
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    offset = 0
    if cursor is not None:
        (text,) = decode_cursor(cursor, 1)
        if not text.isdigit():
            raise InvalidCursorError
        offset = int(text)
    upcoming: list[MeetingItem] = []
    past: list[MeetingItem] = []
    for item in meetings_of(store, user_id):
        if item.status != "BOOKED":
            continue
        starts = next_occurrences(item, now)
        if starts:
            upcoming.append(_with_next(item, starts))
        elif include_past and item.starts_at is not None:
            past.append(item)
    upcoming.sort(key=lambda m: (m.next_starts[0], m.id))
    past.sort(key=lambda m: (m.starts_at or now, m.id), reverse=True)
    ordered = upcoming + past
    page = ordered[offset : offset + limit]
    more = offset + limit < len(ordered)
    return MeetingsPage(page, encode_cursor(str(offset + limit)) if more else None)


def _with_next(item: MeetingItem, starts: tuple[datetime, ...]) -> MeetingItem:
    return MeetingItem(**{**item.__dict__, "next_starts": starts})


# --- Availability and calendar feeds -------------------------------------------


@dataclass(frozen=True)
class AvailabilityItem:
    user_id: str
    time_zone: str
    ranges: list[tuple[int, int, int]]
    updated_at: str


def availability_of(store: RelationalStore, user_id: str) -> AvailabilityItem | None:
    with store.transaction() as session:
        table = _table(session, MEETINGS_PROJECTION, "availability")
        row = session.fetchone(
            f"SELECT time_zone, ranges, updated_at FROM {table} WHERE user_id = %s",
            (user_id,),
        )
    if row is None:
        return None
    ranges = [(int(r[0]), int(r[1]), int(r[2])) for r in json.loads(row[1])]
    return AvailabilityItem(user_id, str(row[0]), ranges, str(row[2]))


def feed_owner(store: RelationalStore, token_digest: str) -> str | None:
    """The user whose live calendar feed token has this digest."""
    with store.transaction() as session:
        table = _table(session, MEETINGS_PROJECTION, "calendar_feeds")
        row = session.fetchone(
            f"SELECT user_id FROM {table} WHERE token_digest = %s", (token_digest,)
        )
    return str(row[0]) if row else None
