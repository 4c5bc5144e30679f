"""The iCalendar feed, parsed back by the small RFC 5545 reader in tests/support."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from dateutil import rrule as dateutil_rrule  # type: ignore[import-untyped]
from hypothesis import given
from hypothesis import strategies as st

from projections.scheduling.meetings import MeetingRow
from queries.scheduling.calendar_ics import escape_text, fold, render_calendar
from tests.support.ics import parse, unescape, when

NOW = datetime(2031, 3, 1, 12, 0, tzinfo=UTC)


# --- The feed ---------------------------------------------------------------------


def meeting(**fields: object) -> MeetingRow:
    base: dict[str, object] = {
        "id": "m-1",
        "kind": "intro",
        "title": "Introduction",
        "status": "BOOKED",
        "organiser_id": "leader",
        "attendees": ("a", "leader"),
        "starts_at": datetime(2031, 3, 12, 13, 0, tzinfo=UTC),
        "duration_minutes": 30,
        "time_zone": "Europe/Berlin",
        "rrule": None,
        "local_start": None,
        "context": {},
        "sequence": 1,
        "created_at": datetime(2031, 3, 1, 9, 0, tzinfo=UTC),
        "updated_at": datetime(2031, 3, 1, 9, 5, tzinfo=UTC),
    }
    base.update(fields)
    return MeetingRow(**base)  # type: ignore[arg-type]


SERIES = meeting(
    id="s-1",
    kind="community",
    title="Monthly community meeting; networking, collaboration & more — für alle "
    "NPOs\\ in the community, with a long title",
    starts_at=datetime(2031, 3, 6, 16, 0, tzinfo=UTC),
    duration_minutes=60,
    rrule="FREQ=MONTHLY;BYDAY=TH;BYSETPOS=1",
    local_start="2031-03-06T17:00",
)


def test_the_feed_parses_back_with_events_times_and_rules() -> None:
    text = render_calendar(
        [
            meeting(),
            SERIES,
            meeting(id="m-2", status="CANCELLED", sequence=3),
            meeting(id="m-3", status="NOT_BOOKED", starts_at=None),
        ],
        now=NOW,
    )

    calendar = parse(text)

    assert calendar.name == "VCALENDAR"
    assert calendar.get("VERSION").value == "2.0"
    assert calendar.get("PRODID").value
    events = {e.get("UID").value: e for e in calendar.all("VEVENT")}
    # Check a meeting not booked is not shown; a cancelled one is, as cancelled.
    assert set(events) == {
        "m-1@spotlight.platform",
        "m-2@spotlight.platform",
        "s-1@spotlight.platform",
    }
    assert events["m-2@spotlight.platform"].get("STATUS").value == "CANCELLED"
    assert events["m-2@spotlight.platform"].get("SEQUENCE").value == "3"
    # Check the one-off meeting is in UTC.
    one_off = events["m-1@spotlight.platform"]
    assert when(one_off.get("DTSTART")) == datetime(2031, 3, 12, 13, 0, tzinfo=UTC)
    assert when(one_off.get("DTEND")) == datetime(2031, 3, 12, 13, 30, tzinfo=UTC)
    assert one_off.get("DTSTAMP").value == "20310301T090500Z"
    assert unescape(one_off.get("SUMMARY").value) == "Introduction"
    # Check the series keeps its wall-clock time in its zone, with its rule...
    series = events["s-1@spotlight.platform"]
    start = when(series.get("DTSTART"))
    assert series.get("DTSTART").params == {"TZID": "Europe/Berlin"}
    assert when(series.get("DTEND")) - start == timedelta(hours=1)
    assert series.get("RRULE").value == "FREQ=MONTHLY;BYDAY=TH;BYSETPOS=1"
    assert unescape(series.get("SUMMARY").value) == SERIES.title
    # ...whose occurrences a calendar computes as: first Thursdays at 17:00 Berlin.
    rule = dateutil_rrule.rrulestr(series.get("RRULE").value, dtstart=start)
    first = list(itertools.islice(rule, 3))
    assert [d.date().isoformat() for d in first] == [
        "2031-03-06",
        "2031-04-03",
        "2031-05-01",
    ]
    assert [d.astimezone(UTC).hour for d in first] == [16, 15, 15]  # CET, CEST
    # Check the zone is described, with its DST changes around the series.
    (zone,) = calendar.all("VTIMEZONE")
    assert zone.get("TZID").value == "Europe/Berlin"
    daylight = [c.get("DTSTART").value for c in zone.all("DAYLIGHT")]
    assert "20310330T020000" in daylight
    (spring,) = [
        c for c in zone.all("DAYLIGHT") if c.get("DTSTART").value.startswith("2031")
    ]
    assert spring.get("TZOFFSETFROM").value == "+0100"
    assert spring.get("TZOFFSETTO").value == "+0200"


def test_lines_end_in_crlf_and_fold_at_75_octets() -> None:
    text = render_calendar([SERIES], now=NOW)

    assert "\r\n" in text
    assert "\n" not in text.replace("\r\n", "")
    physical = text.split("\r\n")
    assert any(line.startswith(" ") for line in physical)
    assert max(len(line.encode()) for line in physical) <= 75
    # Check folding did not split a UTF-8 character (the text decodes line by line).
    for line in physical:
        line.encode().decode()


@given(st.text(min_size=0, max_size=400))
def test_folding_and_escaping_round_trip(text: str) -> None:
    line = "SUMMARY:" + escape_text(text)
    folded = fold(line)
    pieces = folded.split("\r\n")
    assert all(len(p.encode()) <= 75 for p in pieces)
    assert pieces[0] + "".join(p[1:] for p in pieces[1:]) == line
    expected = text.replace("\r\n", "\n").replace("\r", "\n")
    assert unescape(line.removeprefix("SUMMARY:")) == expected


def test_an_empty_calendar_is_still_valid() -> None:
    calendar = parse(render_calendar([], now=NOW))
    assert calendar.all("VEVENT") == []
    assert calendar.get("VERSION").value == "2.0"
