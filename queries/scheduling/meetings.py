"""The signed-in user's meetings and series, their weekly availability, and whose
calendar feed a token opens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.base import NotFoundError
from domain.scheduling.clock import zone
from domain.scheduling.recurrence import RecurrenceRule
from domain.scheduling.values import MeetingStatus
from ports.relational import RelationalStore
from projections.scheduling.meetings import AvailabilityRow, MeetingRow, MeetingsReader
from queries.cursors import InvalidCursorError, decode_cursor, encode_cursor

MAX_PAGE_SIZE = 100


def meetings_of(store: RelationalStore, user_id: str) -> list[MeetingRow]:
    """Every meeting and series the user attends (any status)."""
    return MeetingsReader(store).attended_by(user_id)


def next_occurrences(
    meeting: MeetingRow, now: datetime, count: int = 3, horizon_days: int = 400
) -> tuple[datetime, ...]:
    """The next starts (UTC) of a meeting or series that end after ``now``."""
    duration = timedelta(minutes=meeting.duration_minutes)
    if meeting.rrule is None or meeting.local_start is None:
        if meeting.starts_at is not None and meeting.starts_at + duration > now:
            return (meeting.starts_at,)
        return ()
    rule = RecurrenceRule.parse(meeting.rrule)
    starts = rule.between(
        datetime.fromisoformat(meeting.local_start),
        zone(meeting.time_zone),
        now - duration,
        now + timedelta(days=horizon_days),
        limit=count + 1,
    )
    return tuple(s for s in starts if s + duration > now)[:count]


@dataclass(frozen=True)
class ListedMeeting:
    """A meeting or series with its next starts (none once it is over)."""

    meeting: MeetingRow
    next_starts: tuple[datetime, ...] = ()

    @property
    def starts_at(self) -> datetime | None:
        """The next start, or (once it is over) the first one."""
        return self.next_starts[0] if self.next_starts else self.meeting.starts_at


@dataclass(frozen=True)
class MeetingsPage:
    items: list[ListedMeeting]
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
    upcoming: list[ListedMeeting] = []
    past: list[ListedMeeting] = []
    for meeting in meetings_of(store, user_id):
        if meeting.status != MeetingStatus.BOOKED:
            continue
        starts = next_occurrences(meeting, now)
        if starts:
            upcoming.append(ListedMeeting(meeting, starts))
        elif include_past and meeting.starts_at is not None:
            past.append(ListedMeeting(meeting))
    upcoming.sort(key=lambda m: (m.next_starts[0], m.meeting.id))
    past.sort(key=lambda m: (m.meeting.starts_at or now, m.meeting.id), reverse=True)
    ordered = upcoming + past
    page = ordered[offset : offset + limit]
    more = offset + limit < len(ordered)
    return MeetingsPage(page, encode_cursor(str(offset + limit)) if more else None)


def availability_of(store: RelationalStore, user_id: str) -> AvailabilityRow | None:
    """The user's weekly availability as last entered, if they entered any."""
    return MeetingsReader(store).availability(user_id)


def get_availability(store: RelationalStore, user_id: str) -> AvailabilityRow:
    found = availability_of(store, user_id)
    if found is None:
        raise NotFoundError("You have not entered your availability yet.")
    return found


def feed_owner(store: RelationalStore, token_digest: str) -> str | None:
    """The user whose live calendar feed token has this digest."""
    return MeetingsReader(store).feed_owner(token_digest)
