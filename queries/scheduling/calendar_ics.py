"""An iCalendar (RFC 5545) feed of a user's meetings: theirs, or a feed token's.

- Lines end in CRLF and are folded at 75 octets (never inside a UTF-8 sequence);
  TEXT values are escaped (backslash, semicolon, comma, newline).
- One-off meetings are in UTC (``...Z``). A series keeps its wall-clock time in its
  own zone: ``DTSTART;TZID=Europe/Berlin:...`` plus an ``RRULE``, and the calendar
  carries a ``VTIMEZONE`` for each such zone, with that zone's offset changes from the
  series' first year to a few years ahead (clients that know IANA names use those).
- Cancelled meetings stay in the feed with ``STATUS:CANCELLED`` and a higher
  ``SEQUENCE``, so subscribed calendars drop them.
- No personal data: attendees are not listed (the feed holds titles and times only).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.base import NotFoundError
from domain.scheduling.calendar_feed import token_digest
from ports.relational import RelationalStore
from projections.scheduling.meetings import MeetingRow
from queries.scheduling.meetings import feed_owner, meetings_of

PRODID = "-//Spotlight//Platform management service//EN"
UID_DOMAIN = "spotlight.platform"
TIMEZONE_YEARS_AHEAD = 5
FOLD_OCTETS = 75


def escape_text(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Split a content line into 75-octet pieces joined by CRLF + space."""
    data = line.encode()
    if len(data) <= FOLD_OCTETS:
        return line
    pieces: list[str] = []
    start, limit = 0, FOLD_OCTETS
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:
            end -= 1  # do not cut a UTF-8 sequence
        pieces.append(data[start:end].decode())
        start, limit = end, FOLD_OCTETS - 1  # the leading space counts
    return "\r\n ".join(pieces)


def utc_stamp(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def local_stamp(local: datetime) -> str:
    return local.strftime("%Y%m%dT%H%M%S")


def _offset(delta: timedelta | None) -> str:
    seconds = int((delta or timedelta(0)).total_seconds())
    sign = "+" if seconds >= 0 else "-"
    seconds = abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{secs:02d}" if secs else "")


def offset_changes(
    tz: ZoneInfo, start: datetime, end: datetime
) -> list[tuple[datetime, timedelta, timedelta]]:
    """(instant, offset before, offset after) for each change in [start, end)."""
    changes: list[tuple[datetime, timedelta, timedelta]] = []
    step = timedelta(hours=6)
    moment = start
    before = moment.astimezone(tz).utcoffset() or timedelta(0)
    while moment < end:
        following = moment + step
        after = following.astimezone(tz).utcoffset() or timedelta(0)
        if after != before:
            low, high = moment, following
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if (middle.astimezone(tz).utcoffset() or timedelta(0)) == before:
                    low = middle
                else:
                    high = middle
            changes.append((high.replace(second=0, microsecond=0), before, after))
        moment, before = following, after
    return changes


def vtimezone(name: str, first_year: int, last_year: int) -> list[str]:
    tz = ZoneInfo(name)
    start = datetime(first_year, 1, 1, tzinfo=UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    initial = start.astimezone(tz)
    offset = initial.utcoffset() or timedelta(0)
    lines = ["BEGIN:VTIMEZONE", f"TZID:{name}"]

    def component(
        at_local: datetime, before: timedelta, after: timedelta, instant: datetime
    ) -> list[str]:
        daylight = bool(instant.astimezone(tz).dst())
        kind = "DAYLIGHT" if daylight else "STANDARD"
        label = instant.astimezone(tz).tzname() or name
        return [
            f"BEGIN:{kind}",
            f"DTSTART:{local_stamp(at_local)}",
            f"TZOFFSETFROM:{_offset(before)}",
            f"TZOFFSETTO:{_offset(after)}",
            f"TZNAME:{escape_text(label)}",
            f"END:{kind}",
        ]

    lines += component(initial.replace(tzinfo=None), offset, offset, start)
    for instant, before, after in offset_changes(tz, start, end):
        # DTSTART is the wall-clock time of the change in the offset before it.
        at_local = (instant + before).replace(tzinfo=None)
        lines += component(at_local, before, after, instant)
    lines.append("END:VTIMEZONE")
    return lines


def _event_lines(item: MeetingRow, now: datetime) -> list[str]:
    assert item.starts_at is not None
    status = "CANCELLED" if item.status == "CANCELLED" else "CONFIRMED"
    lines = [
        "BEGIN:VEVENT",
        f"UID:{item.id}@{UID_DOMAIN}",
        f"DTSTAMP:{utc_stamp(item.updated_at)}",
        f"CREATED:{utc_stamp(item.created_at)}",
        f"LAST-MODIFIED:{utc_stamp(item.updated_at)}",
        f"SEQUENCE:{item.sequence}",
    ]
    duration = timedelta(minutes=item.duration_minutes)
    if item.rrule and item.local_start and item.time_zone != "UTC":
        local = datetime.fromisoformat(item.local_start)
        lines += [
            f"DTSTART;TZID={item.time_zone}:{local_stamp(local)}",
            f"DTEND;TZID={item.time_zone}:{local_stamp(local + duration)}",
            f"RRULE:{item.rrule}",
        ]
    else:
        lines += [
            f"DTSTART:{utc_stamp(item.starts_at)}",
            f"DTEND:{utc_stamp(item.starts_at + duration)}",
        ]
        if item.rrule:
            lines.append(f"RRULE:{item.rrule}")
    lines += [
        f"SUMMARY:{escape_text(item.title)}",
        f"CATEGORIES:{escape_text(item.kind.upper())}",
        f"STATUS:{status}",
        "TRANSP:OPAQUE",
        "END:VEVENT",
    ]
    return lines


def calendar_items(items: Iterable[MeetingRow]) -> list[MeetingRow]:
    """What a feed shows: meetings with a time, booked or cancelled."""
    return [
        m
        for m in items
        if m.starts_at is not None and m.status in {"BOOKED", "CANCELLED"}
    ]


def render_calendar(
    items: Sequence[MeetingRow], *, name: str = "Spotlight meetings", now: datetime
) -> str:
    shown = calendar_items(items)
    zones: dict[str, int] = {}
    for item in shown:
        if item.rrule and item.local_start and item.time_zone != "UTC":
            year = datetime.fromisoformat(item.local_start).year
            zones[item.time_zone] = min(year, zones.get(item.time_zone, year))
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    last_year = now.year + TIMEZONE_YEARS_AHEAD
    for zone_name, first_year in sorted(zones.items()):
        lines += vtimezone(zone_name, min(first_year, now.year), last_year)
    for item in sorted(shown, key=lambda m: (m.starts_at or now, m.id)):
        lines += _event_lines(item, now)
    lines.append("END:VCALENDAR")
    return "".join(f"{fold(line)}\r\n" for line in _checked(lines))


def _checked(lines: Iterable[str]) -> Iterator[str]:
    for line in lines:
        if "\r" in line or "\n" in line:
            raise ValueError("a content line may not contain a line break")
        yield line


def calendar_of(store: RelationalStore, user_id: str, now: datetime) -> str:
    """The user's meetings and series as iCalendar text."""
    return render_calendar(meetings_of(store, user_id), now=now)


def subscribed_calendar(store: RelationalStore, feed_token: str, now: datetime) -> str:
    """The calendar of the user whose live feed token this is."""
    owner = feed_owner(store, token_digest(feed_token))
    if owner is None:
        raise NotFoundError("No such calendar.")
    return calendar_of(store, owner, now)
