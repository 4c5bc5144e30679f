"""The pure scheduling policies: the first common slot, local times, recurrences."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil import rrule as dateutil_rrule  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.scheduling.clock import local_to_utc, parse_clock
from domain.scheduling.errors import InvalidAvailabilityError, InvalidRecurrenceError
from domain.scheduling.recurrence import RecurrenceRule
from domain.scheduling.slots import find_first_common_slot, plan_monthly_series
from domain.scheduling.values import WeeklyAvailability, WeeklyRange

ZONES = [
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "Asia/Kolkata",  # +05:30
    "Asia/Kathmandu",  # +05:45
    "Australia/Lord_Howe",  # a 30-minute DST change
    "Pacific/Auckland",
]
STEP = timedelta(minutes=15)


@st.composite
def weekly_ranges(draw: st.DrawFn) -> WeeklyRange:
    weekday = draw(st.integers(0, 6))
    start = draw(st.integers(0, 95)) * 15 + draw(st.sampled_from([0, 0, 0, 7]))
    length = draw(st.integers(1, 48)) * 15
    return WeeklyRange(weekday, start, min(start + length, 24 * 60))


@st.composite
def availabilities(draw: st.DrawFn) -> WeeklyAvailability:
    return WeeklyAvailability.of(
        draw(st.sampled_from(ZONES)), draw(st.lists(weekly_ranges(), max_size=6))
    )


parties_strategy = st.lists(
    st.lists(availabilities(), min_size=1, max_size=3), min_size=1, max_size=3
)
triggers = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31)
).map(lambda d: d.replace(tzinfo=UTC))
durations = st.sampled_from([15, 30, 45, 60, 90]).map(lambda m: timedelta(minutes=m))


def covered(
    parties: list[list[WeeklyAvailability]], start: datetime, end: datetime
) -> bool:
    """Oracle: each party has one user whose availability holds all of [start, end)."""
    return all(
        any(
            any(a <= start and end <= b for a, b in user.intervals(start, end))
            for user in party
        )
        for party in parties
    )


@settings(max_examples=150, deadline=None)
@given(parties=parties_strategy, trigger=triggers, duration=durations)
def test_the_slot_is_the_first_that_every_party_is_free_for(
    parties: list[list[WeeklyAvailability]], trigger: datetime, duration: timedelta
) -> None:
    slot = find_first_common_slot(parties, trigger, duration=duration)

    window_start = trigger + timedelta(days=7)
    window_end = trigger + timedelta(days=14)
    # The oracle walks every aligned start in the window.
    first = window_start + (datetime.min.replace(tzinfo=UTC) - window_start) % STEP
    candidates = itertools.takewhile(
        lambda t: t + duration <= window_end,
        (first + i * STEP for i in itertools.count()),
    )
    expected = next((t for t in candidates if covered(parties, t, t + duration)), None)
    if slot is None:
        # Check nothing in the window qualifies.
        assert expected is None
        return
    # Check the slot lies in the window, in every party's availability...
    assert window_start <= slot.start
    assert slot.end <= window_end
    assert slot.end - slot.start == duration
    assert covered(parties, slot.start, slot.end)
    # ...and nothing earlier qualifies.
    assert slot.start == expected


def test_an_intro_between_new_york_and_berlin_after_the_us_dst_change() -> None:
    new_york = WeeklyAvailability.of("America/New_York", [WeeklyRange(0, 540, 1020)])
    berlin = WeeklyAvailability.of("Europe/Berlin", [WeeklyRange(0, 840, 1200)])

    # The US moved to summer time on 9 March 2025, Europe only on 30 March.
    slot = find_first_common_slot(
        [[new_york], [berlin]], datetime(2025, 3, 1, 12, 3, tzinfo=UTC)
    )

    # Check 9:00 in New York (EDT) is 14:00 in Berlin (CET): 13:00 UTC.
    assert slot is not None
    assert slot.start == datetime(2025, 3, 10, 13, 0, tzinfo=UTC)
    assert slot.end == datetime(2025, 3, 10, 13, 30, tzinfo=UTC)


def test_a_party_is_free_when_one_of_its_users_is() -> None:
    alice = WeeklyAvailability.of("UTC", [WeeklyRange(2, 600, 660)])
    bob = WeeklyAvailability.of("UTC", [WeeklyRange(2, 900, 960)])
    leader = WeeklyAvailability.of("UTC", [WeeklyRange(2, 840, 1000)])

    slot = find_first_common_slot(
        [[alice, bob], [leader]], datetime(2025, 1, 1, tzinfo=UTC)
    )

    assert slot is not None
    assert slot.start == datetime(2025, 1, 8, 15, 0, tzinfo=UTC)


def test_no_slot_when_a_party_has_no_availability() -> None:
    leader = WeeklyAvailability.of("UTC", [WeeklyRange(2, 840, 1000)])
    assert find_first_common_slot([[], [leader]], datetime.now(UTC)) is None


def test_local_times_skipped_or_repeated_by_dst() -> None:
    new_york = ZoneInfo("America/New_York")
    # 02:30 does not exist on 9 March 2025: the clock jumps at 07:00 UTC.
    assert local_to_utc(date(2025, 3, 9), 150, new_york) == datetime(
        2025, 3, 9, 7, 0, tzinfo=UTC
    )
    # 01:30 happens twice on 2 November 2025: the first is 05:30 UTC.
    assert local_to_utc(date(2025, 11, 2), 90, new_york) == datetime(
        2025, 11, 2, 5, 30, tzinfo=UTC
    )
    # 24:00 is the next midnight.
    assert local_to_utc(date(2025, 1, 6), 1440, ZoneInfo("UTC")) == datetime(
        2025, 1, 7, tzinfo=UTC
    )


def test_availability_is_checked() -> None:
    with pytest.raises(InvalidAvailabilityError):
        WeeklyRange(7, 0, 60)
    with pytest.raises(InvalidAvailabilityError):
        WeeklyRange(0, 600, 600)
    with pytest.raises(InvalidAvailabilityError):
        WeeklyAvailability.of("Mars/Olympus_Mons", [])
    with pytest.raises(InvalidAvailabilityError):
        parse_clock("24:00")
    assert parse_clock("24:00", allow_midnight_end=True) == 1440


# --- Recurrence rules ----------------------------------------------------------

rules = st.one_of(
    st.builds(
        RecurrenceRule.monthly, st.integers(0, 6), st.sampled_from([1, 2, 3, 4, 5, -1])
    ),
    st.builds(RecurrenceRule.every_weeks, st.integers(1, 4), st.integers(0, 6)),
)
local_starts = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2030, 1, 1)
).map(lambda d: d.replace(second=0, microsecond=0))


@settings(max_examples=200, deadline=None)
@given(rule=rules, start=local_starts)
def test_occurrences_agree_with_dateutil(rule: RecurrenceRule, start: datetime) -> None:
    ours = list(itertools.islice(rule.occurrences(start), 12))
    theirs = list(
        itertools.islice(dateutil_rrule.rrulestr(str(rule), dtstart=start), 12)
    )
    assert ours == theirs
    assert RecurrenceRule.parse(str(rule)) == rule


def test_a_series_keeps_its_wall_clock_time_across_dst() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    rule = RecurrenceRule.parse("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU")
    starts = rule.between(
        datetime(2025, 3, 18, 17, 0),
        berlin,
        datetime(2025, 3, 1, tzinfo=UTC),
        datetime(2025, 4, 30, tzinfo=UTC),
    )
    assert [s.astimezone(berlin).hour for s in starts] == [17, 17, 17, 17]
    assert [s.hour for s in starts] == [16, 15, 15, 15]  # CET, then CEST


def test_unsupported_rules_are_refused() -> None:
    for text in (
        "FREQ=DAILY;BYDAY=MO",
        "FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=1",
        "FREQ=WEEKLY;BYDAY=XX",
        "FREQ=WEEKLY;BYDAY=MO;COUNT=3",
        "FREQ=WEEKLY;FREQ=WEEKLY;BYDAY=MO",
    ):
        with pytest.raises(InvalidRecurrenceError):
            RecurrenceRule.parse(text)


def test_the_monthly_series_follows_the_organisers_first_long_enough_range() -> None:
    leader = WeeklyAvailability.of(
        "Europe/Berlin", [WeeklyRange(0, 600, 630), WeeklyRange(3, 1020, 1140)]
    )
    rule, first, zone_name = plan_monthly_series(
        leader, datetime(2025, 1, 1, tzinfo=UTC), duration=timedelta(hours=1)
    )
    assert str(rule) == "FREQ=MONTHLY;BYDAY=TH;BYSETPOS=1"
    assert (first, zone_name) == (datetime(2025, 2, 6, 17, 0), "Europe/Berlin")

    rule, first, zone_name = plan_monthly_series(None, datetime(2025, 1, 1, tzinfo=UTC))
    assert (str(rule), first, zone_name) == (
        "FREQ=MONTHLY;BYDAY=TU;BYSETPOS=1",
        datetime(2025, 2, 4, 17, 0),
        "UTC",
    )
