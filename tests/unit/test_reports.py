"""Reports without servers: the period asked for, the catalogue's SQL over an export
that holds nothing yet or only some families, each column read whatever the
export calls it, and the time limit."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from adapters.analytics.reports import FreshExport, run_in_time, sql_parameters
from adapters.http.reports import csv_cell
from domain.base import InvalidFieldError, UnavailableError
from domain.identity.values import Role
from queries.reports.catalogue import REPORTS, Narrowing, visible_to
from queries.reports.period import parse_period
from queries.reports.scope import Scope

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
EVERYTHING = Scope((Narrowing.EVERYTHING,), everything=True)


def period(start: str | None, end: str | None, as_of: str | None) -> object:
    return parse_period(start, end, as_of, now=lambda: NOW)


def refusal(start: str | None, end: str | None, as_of: str | None) -> str:
    with pytest.raises(InvalidFieldError) as refused:
        period(start, end, as_of)
    return f"{refused.value.field}: {refused.value.reason}"


def test_the_period_defaults_to_twelve_weeks_up_to_now() -> None:
    found = parse_period(None, None, None, now=lambda: NOW)
    assert (found.start, found.end, found.as_of) == (
        date(2025, 12, 17),
        date(2026, 3, 10),
        NOW,
    )
    assert found.end_before == datetime(2026, 3, 11, tzinfo=UTC)


def test_as_of_is_a_past_moment_a_date_meaning_its_end() -> None:
    day = parse_period("2026-01-01", "2026-01-31", "2026-02-01", now=lambda: NOW)
    assert day.as_of == datetime(2026, 2, 1, 23, 59, 59, 999999, tzinfo=UTC)
    moment = parse_period(None, None, "2026-02-01T10:30:00+01:00", now=lambda: NOW)
    assert moment.as_of == datetime(2026, 2, 1, 9, 30, tzinfo=UTC)
    assert moment.end == date(2026, 2, 1)  # ``to`` defaults to as_of's day
    today = parse_period(None, None, "2026-03-10", now=lambda: NOW)
    assert today.as_of == NOW  # today, so far


def test_bad_periods_are_refused_naming_the_field() -> None:
    assert refusal("2026-02-30", None, None) == "from: is not a real date"
    assert refusal(None, "yesterday", None) == "to: must be a date, e.g. 2026-01-31"
    assert refusal("2026-03-01", "2026-02-01", None) == "to: must not be before from"
    assert refusal(None, None, "2026-03-11") == "as_of: must not be in the future"
    assert refusal(None, None, "2026-03-10T12:00:01Z") == (
        "as_of: must not be in the future"
    )
    assert refusal(None, None, "soon").startswith("as_of: must be an ISO 8601")


def test_each_role_sees_the_reports_the_catalogue_gives_it() -> None:
    def names(*roles: Role) -> list[str]:
        return [r.name for r in visible_to(frozenset(r.value for r in roles))]

    assert names(Role.ADMIN) == [r.name for r in REPORTS]
    assert names(Role.CANDIDATE) == ["candidate-funnel"]
    assert names(Role.NPO) == [
        "matches",
        "offerings-by-region",
        "time-in-status",
        "offering-engagement",
    ]
    assert "community" in names(Role.COMMUNITY_LEADER)
    assert "admin-overview" not in names(Role.COMMUNITY_LEADER, Role.NPO)
    assert names() == []


def answer(root: Path, name: str, scope: Scope = EVERYTHING) -> list[dict[str, object]]:
    report = next(r for r in REPORTS if r.name == name)
    found = parse_period("2026-01-01", "2026-03-10", None, now=lambda: NOW)
    columns, rows = asyncio.run(
        run_in_time(root, report.sql(), sql_parameters(found, scope, []), 30)
    )
    assert columns == report.columns
    return rows


@pytest.mark.parametrize("report", [r.name for r in REPORTS if not r.live])
def test_every_report_answers_over_an_export_that_holds_nothing_yet(
    tmp_path: Path, report: str
) -> None:
    rows = answer(tmp_path, report)
    if report == "candidate-funnel":
        assert [r["candidates"] for r in rows] == [0, 0, 0, 0, 0]
    elif report == "admin-overview":
        assert {r["total"] for r in rows} == {0}
    else:
        assert rows == []


def write_events(root: Path, family: str, rows: list[dict[str, object]]) -> None:
    """One Parquet file of ``rows`` where the export puts a family's events."""
    by_day: dict[str, list[dict[str, object]]] = {}
    for row in rows:
        moment = row["timestamp"]
        assert isinstance(moment, datetime)
        by_day.setdefault(moment.date().isoformat(), []).append(row)
    for day, found in by_day.items():
        folder = root / "events" / family / f"date={day}"
        folder.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pylist(
            [{"application": "onboarding", **r} for r in found]
        )
        pq.write_table(table, folder / f"onboarding-{len(found):012d}.parquet")


def npo_event(
    npo: str, event: str, at: datetime, version: int, **more: object
) -> dict[str, object]:
    return {
        "position": version,
        "aggregate_type": "Npo",
        "aggregate_id": npo,
        "event_type": f"Npo.{event}",
        "version": version,
        "timestamp": at,
        "actor": "u_x",
        **more,
    }


def test_reports_read_the_families_there_are_and_only_events_up_to_as_of(
    tmp_path: Path,
) -> None:
    monday = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
    write_events(
        tmp_path,
        "npo",
        [
            npo_event("n1", "LeaderAssigned", monday, 3, community_id="c1"),
            npo_event("n2", "LeaderAssigned", monday + timedelta(days=8), 3),
            npo_event("n3", "LeaderAssigned", monday + timedelta(days=9), 3),
        ],
    )
    rows = answer(tmp_path, "matches")
    assert rows == [
        {"period": "2026-02-02", "kind": "npo-leader", "matches": 1},
        {"period": "2026-02-09", "kind": "npo-leader", "matches": 2},
    ]
    # Check a leader of c1 sees only what was matched in c1.
    led = Scope((Narrowing.LED_COMMUNITIES,), community_ids=("c1",))
    assert [r["matches"] for r in answer(tmp_path, "matches", led)] == [1]
    # Check the report as of the first week's end knows nothing later.
    report = next(r for r in REPORTS if r.name == "matches")
    earlier = parse_period("2026-01-01", "2026-03-10", "2026-02-08", now=lambda: NOW)
    _, rows = asyncio.run(
        run_in_time(tmp_path, report.sql(), sql_parameters(earlier, EVERYTHING, []), 30)
    )
    assert [r["matches"] for r in rows] == [1]


def test_a_column_is_read_under_the_first_name_the_export_gives_it(
    tmp_path: Path,
) -> None:
    at = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
    write_events(
        tmp_path,
        "offering",
        [
            {
                "position": 1,
                "aggregate_type": "Offering",
                "aggregate_id": "o1",
                "event_type": "Offering.Created",
                "version": 1,
                "timestamp": at,
                "actor": "u_x",
                "npo_id": "n1",
                "content_location_region": "Saxony",
                "content_categories": ["resume_writing", "interviews"],
            }
        ],
    )
    assert answer(tmp_path, "offerings-by-region") == [
        {"region": "Saxony", "category": "interviews", "offerings": 1, "created": 1},
        {
            "region": "Saxony",
            "category": "resume_writing",
            "offerings": 1,
            "created": 1,
        },
    ]
    # Check an NPO sees only its own offerings.
    own = Scope((Narrowing.OWN_NPOS,), npo_ids=("n2",))
    assert answer(tmp_path, "offerings-by-region", own) == []


def test_a_report_past_its_time_limit_is_interrupted(tmp_path: Path) -> None:
    slow = "SELECT count(*) FROM range(100000000000) a WHERE a.range % 7 = $as_of_day"
    found = parse_period(None, None, None, now=lambda: NOW)
    parameters = {**sql_parameters(found, EVERYTHING, []), "as_of_day": 3}
    with pytest.raises(UnavailableError, match=r"longer than 0\.2 s"):
        asyncio.run(run_in_time(tmp_path, slow, parameters, 0.2))


def test_the_export_is_refreshed_only_when_older_than_its_age() -> None:
    exports: list[int] = []
    clock = [100.0]
    fresh = FreshExport(lambda: exports.append(1), 30, clock=lambda: clock[0])
    fresh.ensure()
    clock[0] += 29
    fresh.ensure()
    assert len(exports) == 1
    clock[0] += 2
    fresh.ensure()
    assert len(exports) == 2
    always = FreshExport(lambda: exports.append(1), 0, clock=lambda: clock[0])
    always.ensure()
    always.ensure()
    assert len(exports) == 4


@pytest.mark.parametrize("typed", ["=HYPERLINK(1)", "+1", "-2+3", "@SUM(A1)", "\tx"])
def test_csv_cells_a_spreadsheet_would_evaluate_are_quoted(typed: str) -> None:
    assert csv_cell(typed) == "'" + typed


def test_csv_cells_keep_numbers_and_plain_text() -> None:
    assert csv_cell(-3) == -3
    assert csv_cell("Bavaria") == "Bavaria"
    assert csv_cell(None) == ""
