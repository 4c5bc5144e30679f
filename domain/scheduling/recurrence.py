"""The subset of RFC 5545 recurrence rules that series keep.

``FREQ=WEEKLY;INTERVAL=n;BYDAY=..`` (every n weeks on given weekdays) and
``FREQ=MONTHLY;BYDAY=XX;BYSETPOS=n`` (the n-th, or last, weekday of each month):
parsed, formatted and expanded in the series' own time zone, so a 17:00 meeting stays
at 17:00 across DST changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.scheduling.clock import local_to_utc
from domain.scheduling.errors import InvalidRecurrenceError
from domain.scheduling.values import WEEKDAY_CODES

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
