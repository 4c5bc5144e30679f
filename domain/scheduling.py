"""Scheduling: weekly availability, meetings, recurring series, calendar feeds.

The pure policies live here too:

- ``find_first_common_slot``: the earliest slot of a given length that every party
  is free for, inside a window after a trigger (by default 7 to 14 days later).
- ``RecurrenceRule``: the subset of RFC 5545 RRULEs the service writes (monthly on
  the n-th weekday, every n weeks on given weekdays), parsed, formatted and expanded
  in the series' own time zone, so a 17:00 meeting stays at 17:00 across DST.

A *party* is a group of users who count as one side of a meeting (an NPO's members;
a community leader): the party is free for a slot when at least one of its users'
weekly availability covers the whole slot.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from eventsourcing.domain import event

from domain.base import ConflictError, InvalidFieldError, SpotlightAggregate

# Derives the ids of per-user and idempotent aggregates (never change it).
SCHEDULING_NAMESPACE = UUID("0d5c8a52-6a0f-4f5e-9a57-3c2b8f1e4d21")

MINUTES_PER_DAY = 24 * 60
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

DEFAULT_INTRO_DURATION = timedelta(minutes=30)
DEFAULT_WINDOW_START = timedelta(days=7)
DEFAULT_WINDOW_END = timedelta(days=14)
DEFAULT_GRANULARITY = timedelta(minutes=15)
MAX_RANGES = 50
MAX_DURATION_MINUTES = 8 * 60


class InvalidAvailabilityError(InvalidFieldError):
    """A weekly availability that cannot be (a range, a clock time, a time zone)."""

    def __init__(self, reason: str, field: str = "ranges") -> None:
        super().__init__(field, reason)


class InvalidRecurrenceError(InvalidFieldError):
    """A recurrence rule outside the subset of RFC 5545 that series keep."""

    def __init__(self, reason: str) -> None:
        super().__init__("rrule", reason)


class MeetingKind(StrEnum):
    INTRO = "intro"  # NPO members and their community leader; candidate and mentor
    COMMUNITY = "community"  # the monthly community meeting series
    MENTORING = "mentoring"  # biweekly mentor 1:1s


class MeetingStatus(StrEnum):
    REQUESTED = "REQUESTED"
    BOOKED = "BOOKED"
    NOT_BOOKED = "NOT_BOOKED"  # no common slot in the window
    CANCELLED = "CANCELLED"


# --- Ids ------------------------------------------------------------------------


def availability_id(user_id: str) -> UUID:
    return uuid5(SCHEDULING_NAMESPACE, f"availability:{user_id}")


def calendar_feed_id(user_id: str) -> UUID:
    return uuid5(SCHEDULING_NAMESPACE, f"calendar-feed:{user_id}")


def read_receipt_id(user_id: str, notification_id: str) -> UUID:
    return uuid5(SCHEDULING_NAMESPACE, f"read:{user_id}:{notification_id}")


def meeting_id(request_key: str) -> UUID:
    """A meeting requested twice under one key is one meeting (idempotent)."""
    return uuid5(SCHEDULING_NAMESPACE, f"meeting:{request_key}")


def series_id(series_key: str) -> UUID:
    """E.g. ``community:<community id>``: one monthly series per community."""
    return uuid5(SCHEDULING_NAMESPACE, f"series:{series_key}")


# --- Time zones and weekly availability -------------------------------------------


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidAvailabilityError(
            f"unknown time zone {name!r}; use an IANA name such as 'Europe/Berlin'",
            field="time_zone",
        ) from error


@dataclass(frozen=True, order=True)
class WeeklyRange:
    """A weekday (0 = Monday) and minutes since local midnight, end exclusive."""

    weekday: int
    start_minute: int
    end_minute: int

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise InvalidAvailabilityError("weekday must be 0 (Monday) to 6 (Sunday)")
        if not 0 <= self.start_minute < self.end_minute <= MINUTES_PER_DAY:
            raise InvalidAvailabilityError(
                "a range starts before it ends, within one day (00:00 to 24:00)"
            )

    def to_state(self) -> list[int]:
        return [self.weekday, self.start_minute, self.end_minute]

    @classmethod
    def from_state(cls, state: Sequence[int]) -> WeeklyRange:
        return cls(int(state[0]), int(state[1]), int(state[2]))


@dataclass(frozen=True)
class WeeklyAvailability:
    """When one user is free each week, in their own IANA time zone."""

    time_zone: str
    ranges: tuple[WeeklyRange, ...]

    def __post_init__(self) -> None:
        zone(self.time_zone)
        if len(self.ranges) > MAX_RANGES:
            raise InvalidAvailabilityError(f"at most {MAX_RANGES} ranges")

    @classmethod
    def of(cls, time_zone: str, ranges: Iterable[WeeklyRange]) -> WeeklyAvailability:
        return cls(time_zone, tuple(sorted(set(ranges))))

    @property
    def zone(self) -> ZoneInfo:
        return zone(self.time_zone)

    def intervals(
        self, start: datetime, end: datetime
    ) -> list[tuple[datetime, datetime]]:
        """UTC intervals of availability overlapping [start, end), merged when they
        touch (a Monday 22:00-24:00 and a Tuesday 00:00-02:00 are one interval)."""
        tz = self.zone
        first = start.astimezone(tz).date() - timedelta(days=1)
        last = end.astimezone(tz).date() + timedelta(days=1)
        found: list[tuple[datetime, datetime]] = []
        day = first
        while day <= last:
            for each in self.ranges:
                if each.weekday == day.weekday():
                    a = local_to_utc(day, each.start_minute, tz)
                    b = local_to_utc(day, each.end_minute, tz)
                    if a < end and b > start and a < b:
                        found.append((a, b))
            day += timedelta(days=1)
        return merge_intervals(found)


def merge_intervals(
    intervals: Iterable[tuple[datetime, datetime]],
) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def local_to_utc(day: date, minute: int, tz: ZoneInfo) -> datetime:
    """The first instant at which the wall clock in ``tz`` shows ``day`` + minute.

    A time skipped by a DST change resolves to the moment of the change; a time that
    happens twice resolves to its first occurrence.
    """
    local = datetime.combine(day, time()) + timedelta(minutes=minute)
    early = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if _same_wall(early, tz, local):
        return early  # fold=0 is the first of two occurrences
    # In a gap: bisect (by minute) for the change, where the clock jumps past it.
    late = local.replace(tzinfo=tz, fold=1).astimezone(UTC)
    low, high = min(early, late), max(early, late)
    while high - low > timedelta(minutes=1):
        middle = low + timedelta(minutes=(high - low) // timedelta(minutes=1) // 2)
        if middle.astimezone(tz).replace(tzinfo=None) >= local:
            high = middle
        else:
            low = middle
    return high


def _same_wall(instant: datetime, tz: ZoneInfo, local: datetime) -> bool:
    return instant.astimezone(tz).replace(tzinfo=None) == local


def parse_clock(text: str, *, allow_midnight_end: bool = False) -> int:
    """'HH:MM' as minutes since midnight; '24:00' only as an end."""
    match = re.fullmatch(r"(\d{2}):(\d{2})", text)
    if match is None:
        raise InvalidAvailabilityError(f"{text!r}: expected HH:MM")
    hours, minutes = int(match[1]), int(match[2])
    if hours == 24 and minutes == 0 and allow_midnight_end:
        return MINUTES_PER_DAY
    if hours > 23 or minutes > 59:
        raise InvalidAvailabilityError(f"{text!r}: not a time of day")
    return hours * 60 + minutes


def format_clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


# --- The first common slot ------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    start: datetime  # UTC
    end: datetime


def find_first_common_slot(
    parties: Sequence[Sequence[WeeklyAvailability]],
    trigger: datetime,
    *,
    duration: timedelta = DEFAULT_INTRO_DURATION,
    window_start: timedelta = DEFAULT_WINDOW_START,
    window_end: timedelta = DEFAULT_WINDOW_END,
    granularity: timedelta = DEFAULT_GRANULARITY,
) -> Slot | None:
    """The earliest slot in [trigger + window_start, trigger + window_end] that every
    party is free for, starting on a multiple of ``granularity`` (UTC), or None.

    A party is free for a slot when one of its users is free for all of it.
    """
    if duration <= timedelta(0) or granularity <= timedelta(0):
        raise ValueError("duration and granularity must be positive")
    if not parties:
        return None
    earliest = align_up(trigger.astimezone(UTC) + window_start, granularity)
    latest_end = trigger.astimezone(UTC) + window_end
    if earliest + duration > latest_end:
        return None
    # For each party, the intervals in which a meeting may *start*.
    feasible: list[tuple[datetime, datetime]] | None = None
    for party in parties:
        starts: list[tuple[datetime, datetime]] = []
        for availability in party:
            for a, b in availability.intervals(earliest, latest_end):
                low, high = max(a, earliest), min(b, latest_end) - duration
                if low <= high:
                    starts.append((low, high))
        merged = _merge_closed(starts)
        feasible = merged if feasible is None else _intersect(feasible, merged)
        if not feasible:
            return None
    for low, high in feasible or ():
        start = align_up(low, granularity)
        if start <= high:
            return Slot(start, start + duration)
    return None


def align_up(instant: datetime, granularity: timedelta) -> datetime:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    step = granularity.total_seconds()
    elapsed = (instant - epoch).total_seconds()
    steps = -(-elapsed // step)
    return epoch + timedelta(seconds=steps * step)


def _merge_closed(
    intervals: Iterable[tuple[datetime, datetime]],
) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _intersect(
    left: list[tuple[datetime, datetime]], right: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    result: list[tuple[datetime, datetime]] = []
    i = j = 0
    while i < len(left) and j < len(right):
        low = max(left[i][0], right[j][0])
        high = min(left[i][1], right[j][1])
        if low <= high:
            result.append((low, high))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return result


# --- Recurrence rules (the RFC 5545 subset we write) -----------------------------


_RULE_PART = re.compile(r"^[A-Z]+=[A-Z0-9,+-]+$")


@dataclass(frozen=True)
class RecurrenceRule:
    """``FREQ=WEEKLY;INTERVAL=n;BYDAY=..`` or ``FREQ=MONTHLY;BYDAY=XX;BYSETPOS=n``."""

    frequency: str  # "WEEKLY" | "MONTHLY"
    weekdays: tuple[int, ...]  # 0 = Monday
    interval: int = 1
    set_position: int | None = None  # MONTHLY: 1..5 or -1 (the last)

    def __post_init__(self) -> None:
        if self.frequency not in {"WEEKLY", "MONTHLY"}:
            raise InvalidRecurrenceError("only WEEKLY and MONTHLY series are kept")
        if not self.weekdays or any(not 0 <= d <= 6 for d in self.weekdays):
            raise InvalidRecurrenceError("BYDAY needs one or more weekdays")
        if not 1 <= self.interval <= 52:
            raise InvalidRecurrenceError("INTERVAL must be 1 to 52")
        if self.frequency == "MONTHLY":
            if len(self.weekdays) != 1 or self.set_position not in {-1, 1, 2, 3, 4, 5}:
                raise InvalidRecurrenceError(
                    "a monthly series is on one weekday with BYSETPOS 1..5 or -1"
                )
        elif self.set_position is not None:
            raise InvalidRecurrenceError("BYSETPOS is for monthly series")

    @classmethod
    def monthly(cls, weekday: int, position: int) -> RecurrenceRule:
        return cls("MONTHLY", (weekday,), 1, position)

    @classmethod
    def every_weeks(cls, weeks: int, weekday: int) -> RecurrenceRule:
        return cls("WEEKLY", (weekday,), weeks, None)

    def __str__(self) -> str:
        parts = [f"FREQ={self.frequency}"]
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        parts.append("BYDAY=" + ",".join(WEEKDAY_CODES[d] for d in self.weekdays))
        if self.set_position is not None:
            parts.append(f"BYSETPOS={self.set_position}")
        return ";".join(parts)

    @classmethod
    def parse(cls, text: str) -> RecurrenceRule:
        values: dict[str, str] = {}
        for part in text.strip().upper().split(";"):
            if not _RULE_PART.match(part):
                raise InvalidRecurrenceError(f"bad RRULE part {part!r}")
            key, _, value = part.partition("=")
            if key in values:
                raise InvalidRecurrenceError(f"{key} given twice")
            values[key] = value
        unknown = set(values) - {"FREQ", "INTERVAL", "BYDAY", "BYSETPOS", "WKST"}
        if unknown or values.get("WKST", "MO") != "MO":
            raise InvalidRecurrenceError(f"unsupported RRULE parts {sorted(unknown)}")
        try:
            days = tuple(
                sorted({WEEKDAY_CODES.index(d) for d in values["BYDAY"].split(",")})
            )
            interval = int(values.get("INTERVAL", "1"))
            position = int(values["BYSETPOS"]) if "BYSETPOS" in values else None
            return cls(values["FREQ"], days, interval, position)
        except (KeyError, ValueError) as error:
            raise InvalidRecurrenceError(f"bad RRULE {text!r}") from error

    def occurrences(self, local_start: datetime) -> Iterator[datetime]:
        """Local (naive) start times from ``local_start`` on, in order, for ever."""
        if self.frequency == "WEEKLY":
            week = local_start.date() - timedelta(days=local_start.weekday())
            while True:
                for weekday in self.weekdays:
                    day = week + timedelta(days=weekday)
                    candidate = datetime.combine(day, local_start.time())
                    if candidate >= local_start:
                        yield candidate
                week += timedelta(weeks=self.interval)
        else:
            year, month = local_start.year, local_start.month
            while True:
                nth = _nth_weekday(year, month, self.weekdays[0], self.set_position)
                if nth is not None:
                    candidate = datetime.combine(nth, local_start.time())
                    if candidate >= local_start:
                        yield candidate
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)

    def between(
        self,
        local_start: datetime,
        tz: ZoneInfo,
        start: datetime,
        end: datetime,
        limit: int = 1000,
    ) -> list[datetime]:
        """UTC starts of the occurrences within [start, end)."""
        found: list[datetime] = []
        for local in self.occurrences(local_start):
            minute = local.hour * 60 + local.minute
            instant = local_to_utc(local.date(), minute, tz)
            if instant >= end or len(found) >= limit:
                break
            if instant >= start:
                found.append(instant)
        return found


def _nth_weekday(
    year: int, month: int, weekday: int, position: int | None
) -> date | None:
    first = date(year, month, 1)
    days: list[date] = []
    day = first + timedelta(days=(weekday - first.weekday()) % 7)
    while day.month == month:
        days.append(day)
        day += timedelta(days=7)
    position = position or 1
    index = position - 1 if position > 0 else position
    return days[index] if -len(days) <= index < len(days) else None


def plan_monthly_series(
    organiser: WeeklyAvailability | None,
    after: datetime,
    *,
    duration: timedelta = timedelta(minutes=60),
) -> tuple[RecurrenceRule, datetime, str]:
    """A monthly community meeting: the first of the organiser's weekly ranges long
    enough for it, on that weekday's first occurrence each month, starting at least
    a week after ``after``; without availability, the first Tuesday at 17:00 UTC.

    Returns the rule, the local (naive) start of the first occurrence and the zone.
    """
    minutes = int(duration.total_seconds() // 60)
    weekday, start_minute, time_zone = 1, 17 * 60, "UTC"
    if organiser is not None:
        for each in organiser.ranges:
            if each.end_minute - each.start_minute >= minutes:
                weekday, start_minute = each.weekday, each.start_minute
                time_zone = organiser.time_zone
                break
    rule = RecurrenceRule.monthly(weekday, 1)
    tz = zone(time_zone)
    not_before = (after + DEFAULT_WINDOW_START).astimezone(tz).replace(tzinfo=None)
    month_start = datetime(not_before.year, not_before.month, 1) + timedelta(
        minutes=start_minute
    )
    first = next(t for t in rule.occurrences(month_start) if t >= not_before)
    return rule, first, time_zone


def plan_biweekly_series(
    parties: Sequence[Sequence[WeeklyAvailability]],
    organiser_zone: str,
    trigger: datetime,
    *,
    duration: timedelta = DEFAULT_INTRO_DURATION,
) -> tuple[RecurrenceRule, datetime, str] | None:
    """Mentor 1:1s every two weeks, at the first common slot 1-2 weeks out, kept at
    the same wall-clock time in the organiser's zone."""
    slot = find_first_common_slot(parties, trigger, duration=duration)
    if slot is None:
        return None
    local = slot.start.astimezone(zone(organiser_zone)).replace(tzinfo=None)
    return RecurrenceRule.every_weeks(2, local.weekday()), local, organiser_zone


# --- Aggregates ------------------------------------------------------------------


class Availability(SpotlightAggregate):
    """A user's weekly availability (one per user; its id derives from the user)."""

    @event("Set")
    def __init__(
        self, id: UUID, user_id: str, time_zone: str, ranges: list[list[int]]
    ) -> None:
        self.user_id = user_id
        self.time_zone = time_zone
        self.ranges = ranges

    @classmethod
    def create(cls, user_id: str, weekly: WeeklyAvailability) -> Availability:
        return cls(
            id=availability_id(user_id),
            user_id=user_id,
            time_zone=weekly.time_zone,
            ranges=[r.to_state() for r in weekly.ranges],
        )

    @property
    def weekly(self) -> WeeklyAvailability:
        return WeeklyAvailability.of(
            self.time_zone, (WeeklyRange.from_state(r) for r in self.ranges)
        )

    def change(self, weekly: WeeklyAvailability) -> None:
        ranges = [r.to_state() for r in weekly.ranges]
        if weekly.time_zone != self.time_zone or ranges != self.ranges:
            self._change(weekly.time_zone, ranges)

    @event("Changed")
    def _change(self, time_zone: str, ranges: list[list[int]]) -> None:
        self.time_zone = time_zone
        self.ranges = ranges


class Meeting(SpotlightAggregate):
    """A one-off meeting booked in the first common slot (or recorded as not booked).

    ``party_groups`` lists each party's users; every user of every party attends.
    ``context`` holds ids only (the NPO, the community, the candidate...).
    """

    @event("Requested")
    def __init__(
        self,
        *,
        id: UUID,
        kind: str,
        title: str,
        party_groups: list[list[str]],
        organiser_id: str,
        duration_minutes: int,
        window_start: datetime,
        window_end: datetime,
        context: dict[str, str],
    ) -> None:
        self.kind = kind
        self.title = title
        self.party_groups = party_groups
        self.organiser_id = organiser_id
        self.duration_minutes = duration_minutes
        self.window_start = window_start
        self.window_end = window_end
        self.context = context
        self.status = MeetingStatus.REQUESTED
        self.starts_at: datetime | None = None
        self.ends_at: datetime | None = None
        self.time_zone = "UTC"

    @property
    def attendees(self) -> list[str]:
        return list(dict.fromkeys(u for group in self.party_groups for u in group))

    @classmethod
    def request(
        cls,
        *,
        request_key: str,
        kind: MeetingKind,
        title: str,
        parties: Sequence[Sequence[str]],
        organiser_id: str,
        availability: dict[str, WeeklyAvailability],
        trigger: datetime,
        duration: timedelta = DEFAULT_INTRO_DURATION,
        context: dict[str, str] | None = None,
    ) -> Meeting:
        """Book the first slot every party is free in, 1-2 weeks after ``trigger``."""
        groups = [list(dict.fromkeys(str(u) for u in party)) for party in parties]
        if len(groups) < 2 or any(not g for g in groups):
            raise InvalidFieldError("parties", "at least two, none empty")
        minutes = int(duration.total_seconds() // 60)
        if not 5 <= minutes <= MAX_DURATION_MINUTES:
            raise InvalidFieldError("duration_minutes", "5 minutes to 8 hours")
        meeting = cls(
            id=meeting_id(request_key),
            kind=str(kind),
            title=title,
            party_groups=groups,
            organiser_id=str(organiser_id),
            duration_minutes=minutes,
            window_start=trigger.astimezone(UTC) + DEFAULT_WINDOW_START,
            window_end=trigger.astimezone(UTC) + DEFAULT_WINDOW_END,
            context=dict(context or {}),
        )
        missing = [u for g in groups for u in g if u not in availability]
        slot = find_first_common_slot(
            [[availability[u] for u in g if u in availability] for g in groups],
            trigger,
            duration=duration,
        )
        if slot is None:
            meeting._not_booked(
                missing_availability=missing, attendee_ids=meeting.attendees
            )
        else:
            organiser = availability.get(meeting.organiser_id)
            meeting._book(
                starts_at=slot.start,
                ends_at=slot.end,
                time_zone=organiser.time_zone if organiser else "UTC",
                kind=meeting.kind,
                attendee_ids=meeting.attendees,
            )
        return meeting

    # ``kind`` and ``attendee_ids`` repeat what ``Requested`` said, so that the
    # integration event of a booking is complete on its own.
    @event("Booked")
    def _book(
        self,
        starts_at: datetime,
        ends_at: datetime,
        time_zone: str,
        kind: str,
        attendee_ids: list[str],
    ) -> None:
        self.status = MeetingStatus.BOOKED
        self.starts_at = starts_at
        self.ends_at = ends_at
        self.time_zone = time_zone

    @event("NoCommonSlot")
    def _not_booked(
        self, missing_availability: list[str], attendee_ids: list[str]
    ) -> None:
        self.status = MeetingStatus.NOT_BOOKED
        self.missing_availability = missing_availability

    def is_upcoming(self, now: datetime) -> bool:
        """Booked and not yet begun, or still waiting for a slot."""
        if self.status == MeetingStatus.BOOKED:
            return self.starts_at is not None and self.starts_at > now
        return self.status == MeetingStatus.REQUESTED

    def cancel(self, reason: str) -> None:
        if self.status in {MeetingStatus.BOOKED, MeetingStatus.REQUESTED}:
            self._cancel(reason=reason)

    @event("Cancelled")
    def _cancel(self, reason: str) -> None:
        self.status = MeetingStatus.CANCELLED
        self.cancel_reason = reason


class MeetingSeries(SpotlightAggregate):
    """A recurring meeting kept as an RFC 5545 RRULE in the series' own zone."""

    @event("Created")
    def __init__(
        self,
        *,
        id: UUID,
        kind: str,
        title: str,
        organiser_id: str,
        rrule: str,
        local_start: str,
        time_zone: str,
        duration_minutes: int,
        context: dict[str, str],
    ) -> None:
        self.kind = kind
        self.title = title
        self.organiser_id = organiser_id
        self.rrule = rrule
        self.local_start = local_start
        self.time_zone = time_zone
        self.duration_minutes = duration_minutes
        self.context = context
        self.attendees: list[str] = [organiser_id]
        self.cancelled = False

    @classmethod
    def start(
        cls,
        *,
        series_key: str,
        kind: MeetingKind,
        title: str,
        organiser_id: str,
        rule: RecurrenceRule,
        local_start: datetime,
        time_zone: str,
        duration: timedelta,
        context: dict[str, str] | None = None,
    ) -> MeetingSeries:
        zone(time_zone)
        minutes = int(duration.total_seconds() // 60)
        if not 5 <= minutes <= MAX_DURATION_MINUTES:
            raise InvalidFieldError("duration_minutes", "5 minutes to 8 hours")
        return cls(
            id=series_id(series_key),
            kind=str(kind),
            title=title,
            organiser_id=str(organiser_id),
            rrule=str(rule),
            local_start=local_start.replace(
                tzinfo=None, second=0, microsecond=0
            ).isoformat(timespec="minutes"),
            time_zone=time_zone,
            duration_minutes=minutes,
            context=dict(context or {}),
        )

    @property
    def rule(self) -> RecurrenceRule:
        return RecurrenceRule.parse(self.rrule)

    def join(self, user_ids: Iterable[str]) -> None:
        if self.cancelled:
            raise ConflictError("The series is cancelled.")
        new = [
            u
            for u in dict.fromkeys(str(u) for u in user_ids)
            if u not in self.attendees
        ]
        if new:
            self._join(user_ids=new)

    @event("AttendeesJoined")
    def _join(self, user_ids: list[str]) -> None:
        self.attendees = [*self.attendees, *user_ids]

    def leave(self, user_ids: Iterable[str]) -> None:
        gone = [
            u
            for u in dict.fromkeys(str(u) for u in user_ids)
            if u in self.attendees and u != self.organiser_id
        ]
        if gone:
            self._leave(user_ids=gone)

    @event("AttendeesLeft")
    def _leave(self, user_ids: list[str]) -> None:
        self.attendees = [u for u in self.attendees if u not in user_ids]

    def cancel(self, reason: str) -> None:
        if not self.cancelled:
            self._cancel(reason=reason)

    @event("Cancelled")
    def _cancel(self, reason: str) -> None:
        self.cancelled = True


class CalendarFeed(SpotlightAggregate):
    """A user's calendar subscription secret, kept only as its SHA-256 digest."""

    @event("TokenIssued")
    def __init__(self, id: UUID, user_id: str, token_digest: str) -> None:
        self.user_id = user_id
        self.token_digest: str | None = token_digest

    @event("TokenRotated")
    def rotate(self, token_digest: str) -> None:
        self.token_digest = token_digest

    def revoke(self) -> None:
        if self.token_digest is not None:
            self._revoke()

    @event("TokenRevoked")
    def _revoke(self) -> None:
        self.token_digest = None


class DispatchKind(StrEnum):
    """What the notification subsystem is asked to send (its templates)."""

    WELCOME_LEADER = "welcome_leader"  # introduces the NPO's community leader
    ROLE_TRAINING = "role_training"  # role-based training for the NPO's members
    ADMIN_ALERT_WAITING_NPO = "admin_alert_waiting_npo"
    NPO_DELETED = "npo_deleted"
    WELCOME_MENTOR = "welcome_mentor"  # introduces the candidate's career mentor


def dispatch_id(request_key: str) -> UUID:
    return uuid5(SCHEDULING_NAMESPACE, f"dispatch:{request_key}")


class Dispatch(SpotlightAggregate):
    """A message the notification subsystem must send, to user ids (or
    ``role:ADMIN``), about ids only; it leaves as an integration event."""

    @event("Requested")
    def __init__(
        self,
        *,
        id: UUID,
        kind: str,
        channel: str,
        recipient_ids: list[str],
        npo_id: str | None = None,
        leader_id: str | None = None,
        community_id: str | None = None,
        candidate_id: str | None = None,
        mentor_id: str | None = None,
        role: str | None = None,
    ) -> None:
        if not recipient_ids:
            raise InvalidFieldError("recipient_ids", "name at least one recipient")
        self.kind = kind
        self.channel = channel
        self.recipient_ids = recipient_ids


def erasure_id(user_id: str) -> UUID:
    return uuid5(SCHEDULING_NAMESPACE, f"erasure:{user_id}")


class Erasure(SpotlightAggregate):
    """A user was erased (C1): views drop their availability, notifications,
    feed and attendance; their availability is cleared in the log too."""

    @event("Requested")
    def __init__(self, *, id: UUID, user_id: str) -> None:
        self.user_id = user_id


class ReadReceipt(SpotlightAggregate):
    """A user has read a notification (one per user and notification)."""

    @event("Read")
    def __init__(self, id: UUID, user_id: str, notification_id: str) -> None:
        self.user_id = user_id
        self.notification_id = notification_id
