"""The period and moment a report is asked for: ``from``, ``to``, ``as_of``.

``as_of`` is a past moment (an ISO 8601 date, the end of that day, or timestamp;
UTC without an offset), now when absent: only events up to it count. ``from`` and
``to`` are dates, ``to`` included; ``to`` defaults to the day of ``as_of`` and
``from`` to ``DEFAULT_DAYS`` days before ``to``. Refusals name the field
(``InvalidFieldError``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from domain.base import InvalidFieldError

DEFAULT_DAYS = 83  # twelve whole weeks, ``to`` included
DATE_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
MOMENT_PATTERN = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"(T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?"
    r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)?$"
)


@dataclass(frozen=True)
class Period:
    start: date  # ``from``
    end: date  # ``to``, included
    as_of: datetime

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time(), UTC)

    @property
    def end_before(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(self.end + timedelta(days=1), time(), UTC)


def _date(text: str, name: str) -> date:
    if not re.match(DATE_PATTERN, text):
        raise InvalidFieldError(name, "must be a date, e.g. 2026-01-31")
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise InvalidFieldError(name, "is not a real date") from error


def parse_as_of(text: str, now: datetime) -> datetime:
    if not re.match(MOMENT_PATTERN, text):
        raise InvalidFieldError(
            "as_of", "must be an ISO 8601 date or timestamp, e.g. 2026-01-31T12:00:00Z"
        )
    try:
        if "T" in text:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        else:
            day = date.fromisoformat(text)
            moment = datetime.combine(day + timedelta(days=1), time(), UTC)
            moment -= timedelta(microseconds=1)  # the end of that day
            if moment > now and day <= now.date():
                moment = now  # today, so far
    except ValueError as error:
        raise InvalidFieldError("as_of", "is not a real date") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment > now:
        raise InvalidFieldError("as_of", "must not be in the future")
    return moment.astimezone(UTC)


def parse_period(
    start: str | None,
    end: str | None,
    as_of: str | None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Period:
    """The period asked for, checked: ``from`` <= ``to``, ``as_of`` not to come."""
    moment = parse_as_of(as_of, now()) if as_of is not None else now()
    last = _date(end, "to") if end is not None else moment.date()
    first = _date(start, "from") if start is not None else None
    if first is None:
        first = last - timedelta(days=DEFAULT_DAYS)
    if first > last:
        raise InvalidFieldError("to", "must not be before from")
    return Period(first, last, moment)
