"""The scheduling context's value objects, kinds and limits.

A *party* is a group of users who count as one side of a meeting (an NPO's members;
a community leader): the party is free for a slot when at least one of its users'
weekly availability covers the whole slot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.scheduling.clock import (
    MINUTES_PER_DAY,
    local_to_utc,
    merge_intervals,
    zone,
)
from domain.scheduling.errors import InvalidAvailabilityError
from domain.text import NAME

# Derives the ids of per-user and idempotent aggregates (never change it).
SCHEDULING_NAMESPACE = UUID("0d5c8a52-6a0f-4f5e-9a57-3c2b8f1e4d21")

WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

DEFAULT_INTRO_DURATION = timedelta(minutes=30)
DEFAULT_WINDOW_START = timedelta(days=7)
DEFAULT_WINDOW_END = timedelta(days=14)
DEFAULT_GRANULARITY = timedelta(minutes=15)
MAX_RANGES = 50
MAX_DURATION_MINUTES = 8 * 60


class MeetingKind(StrEnum):
    INTRO = "intro"  # NPO members and their community leader; candidate and mentor
    COMMUNITY = "community"  # the monthly community meeting series
    MENTORING = "mentoring"  # biweekly mentor 1:1s


class MeetingStatus(StrEnum):
    REQUESTED = "REQUESTED"
    BOOKED = "BOOKED"
    NOT_BOOKED = "NOT_BOOKED"  # no common slot in the window
    CANCELLED = "CANCELLED"


class DispatchKind(StrEnum):
    """What the notification subsystem is asked to send (its templates)."""

    WELCOME_LEADER = "welcome_leader"  # introduces the NPO's community leader
    ROLE_TRAINING = "role_training"  # role-based training for the NPO's members
    ADMIN_ALERT_WAITING_NPO = "admin_alert_waiting_npo"
    NPO_DELETED = "npo_deleted"
    WELCOME_MENTOR = "welcome_mentor"  # introduces the candidate's career mentor
    ADMIN_ALERT_WAITING_CANDIDATE = "admin_alert_waiting_candidate"
    # A roadmap's reminders (the candidate's, or their mentor's alert).
    ROADMAP_DEADLINE_7D = "roadmap_deadline_7d"
    ROADMAP_DEADLINE_1D = "roadmap_deadline_1d"
    ROADMAP_NUDGE = "roadmap_nudge"
    ROADMAP_APPROVAL_OVERDUE = "roadmap_approval_overdue"
    ROADMAP_FEEDBACK_FORM = "roadmap_feedback_form"


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


def meeting_context(context: Mapping[str, str] | None) -> dict[str, str]:
    """What a meeting is about (the NPO's id, the community's...), checked as text:
    each key and value is a name (``domain.text.NAME``)."""
    checked: dict[str, str] = {}
    for key, value in (context or {}).items():
        name = NAME.required(key, "context")
        checked[name] = NAME.required(value, f"context.{name}")
    return checked


@dataclass(frozen=True)
class Slot:
    start: datetime  # UTC
    end: datetime
