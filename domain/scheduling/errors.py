"""The scheduling context's leaf refusals (both are invalid fields)."""

from __future__ import annotations

from domain.base import InvalidFieldError


class InvalidAvailabilityError(InvalidFieldError):
    """A weekly availability that cannot be (a range, a clock time, a time zone)."""

    def __init__(self, reason: str, field: str = "ranges") -> None:
        super().__init__(field, reason)


class InvalidRecurrenceError(InvalidFieldError):
    """A recurrence rule outside the subset of RFC 5545 that series keep."""

    def __init__(self, reason: str) -> None:
        super().__init__("rrule", reason)
