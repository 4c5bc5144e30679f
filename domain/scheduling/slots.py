"""Finding time: the first slot every party shares, and when a series recurs.

- ``find_first_common_slot``: the earliest slot of a given length that every party
  is free for, inside a window after a trigger (by default 7 to 14 days later).
- ``plan_monthly_series``: a community's monthly meeting, on the organiser's first
  weekly range long enough for it.
- ``plan_biweekly_series``: mentor 1:1s every two weeks from the first common slot
  after the introduction's window.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from domain.scheduling.clock import align_up, merge_intervals, zone
from domain.scheduling.recurrence import RecurrenceRule
from domain.scheduling.values import (
    DEFAULT_GRANULARITY,
    DEFAULT_INTRO_DURATION,
    DEFAULT_WINDOW_END,
    DEFAULT_WINDOW_START,
    Slot,
    WeeklyAvailability,
)

# A planned series: its rule, the local (naive) start of its first occurrence and
# the zone that wall-clock time is read in.
PlannedSeries = tuple[RecurrenceRule, datetime, str]


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
        merged = merge_intervals(starts)
        feasible = merged if feasible is None else _intersect(feasible, merged)
        if not feasible:
            return None
    for low, high in feasible or ():
        start = align_up(low, granularity)
        if start <= high:
            return Slot(start, start + duration)
    return None


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


def plan_monthly_series(
    organiser: WeeklyAvailability | None,
    after: datetime,
    *,
    duration: timedelta = timedelta(minutes=60),
) -> PlannedSeries:
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


# How much later than the introduction's window a mentoring series starts.
AFTER_THE_INTRODUCTION = timedelta(weeks=1)


def plan_biweekly_series(
    parties: Sequence[Sequence[WeeklyAvailability]],
    organiser_zone: str,
    trigger: datetime,
    *,
    duration: timedelta = DEFAULT_INTRO_DURATION,
) -> PlannedSeries | None:
    """Mentor 1:1s every two weeks, from the first common slot 2-3 weeks out, kept
    at the same wall-clock time in the organiser's zone.

    A week later than the introduction's window (1-2 weeks out), so the first 1:1
    follows the introduction instead of falling on the same slot.
    """
    slot = find_first_common_slot(
        parties, trigger + AFTER_THE_INTRODUCTION, duration=duration
    )
    if slot is None:
        return None
    local = slot.start.astimezone(zone(organiser_zone)).replace(tzinfo=None)
    return RecurrenceRule.every_weeks(2, local.weekday()), local, organiser_zone
