"""Wall clocks and instants: IANA zones, local times to UTC across DST, HH:MM text.

Instants are UTC ``datetime``s; a wall-clock time is a local date and the minutes
since its midnight, read in a zone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.scheduling.errors import InvalidAvailabilityError

MINUTES_PER_DAY = 24 * 60


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidAvailabilityError(
            f"unknown time zone {name!r}; use an IANA name such as 'Europe/Berlin'",
            field="time_zone",
        ) from error


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


def merge_intervals(
    intervals: Iterable[tuple[datetime, datetime]],
) -> list[tuple[datetime, datetime]]:
    """Sorted, with intervals that touch or overlap joined into one."""
    merged: list[tuple[datetime, datetime]] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def align_up(instant: datetime, granularity: timedelta) -> datetime:
    """The first multiple of ``granularity`` (from the epoch, UTC) not before
    ``instant``."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    step = granularity.total_seconds()
    elapsed = (instant - epoch).total_seconds()
    steps = -(-elapsed // step)
    return epoch + timedelta(seconds=steps * step)


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
