"""Reports answered: DuckDB over the analytics export, or the views for live ones.

A report over the export (``queries.reports.catalogue``) runs its SQL file in a
fresh in-memory DuckDB over one view per event family, ``ev_<family>``:
``read_parquet('<dir>/events/<family>/*/*.parquet', hive_partitioning=true,
union_by_name=true)`` keeping the events up to ``as_of`` (a DuckDB variable set
from a bound parameter) and exposing the envelope and the columns the catalogue
lists, each taken from the first of its export columns present (NULL when none
is). A family not exported yet is an empty view, so a report over it answers no
rows rather than an error. Every value from the caller is a bound parameter; the
only text written into SQL is the export directory, from the settings.

Before it runs, the export is brought up to date when the last one is older than
``analytics_max_age_seconds`` (one export at a time in this process; the export
itself is safe against other processes). DuckDB works in a worker thread, within
``reports_timeout_seconds``: past it the query is interrupted and the caller is
told to try again (503).
"""

# Views are written from the catalogue (code) and the export directory (settings),
# never from input; every value from the caller is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import duckdb

from adapters.analytics.export import default_target, export_events, pseudonym_for
from adapters.bootstrap import Container
from adapters.settings import Settings
from domain.base import UnavailableError
from queries.reports import live
from queries.reports.catalogue import ENVELOPE, FAMILIES, MIN_RATINGS, Column, Report
from queries.reports.period import Period
from queries.reports.scope import Scope, scope_of

Row = dict[str, object]
_PARAMETER = re.compile(r"\$([a-z_]+)")


@dataclass(frozen=True)
class Answer:
    """A report's figures and what they were computed from."""

    columns: tuple[str, ...]
    rows: list[Row]
    # The last position of each application's log the export held.
    exported_through: dict[str, int]


def exported_through(root: Path) -> dict[str, int]:
    """Each application's last exported position (``_state/<application>.json``)."""
    found: dict[str, int] = {}
    for state in sorted((root / "_state").glob("*.json")):
        try:
            found[state.stem] = int(json.loads(state.read_text())["position"])
        except (ValueError, KeyError, TypeError, OSError):
            continue
    return found


class FreshExport:
    """Brings the export up to date at most every ``max_age_seconds``, one export
    at a time (a report waits for the export under way instead of starting one)."""

    def __init__(
        self,
        export: Callable[[], object],
        max_age_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._export = export
        self._max_age = max_age_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._exported_at: float | None = None

    def ensure(self) -> None:
        """Blocking: call it from a worker thread."""
        with self._lock:
            now = self._clock()
            if (
                self._exported_at is not None
                and now - self._exported_at < self._max_age
            ):
                return
            self._export()
            self._exported_at = self._clock()


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _family_view(connection: duckdb.DuckDBPyConnection, root: Path, family: str) -> str:
    """The ``CREATE VIEW`` of one family: its events up to ``as_of``."""
    wanted: Sequence[Column] = (*ENVELOPE, *FAMILIES[family])
    folder = root / "events" / family
    if not any(folder.glob("*/*.parquet")):
        nothing = ", ".join(f'CAST(NULL AS {c.type}) AS "{c.name}"' for c in wanted)
        return f"CREATE VIEW ev_{family} AS SELECT {nothing} WHERE false"
    source = (
        f"read_parquet({_quoted(str(folder / '*' / '*.parquet'))}, "
        "hive_partitioning = true, union_by_name = true)"
    )
    present = {
        str(row[0])
        for row in connection.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    }
    picked = []
    for column in wanted:
        name = next((n for n in column.from_export if n in present), None)
        value = "NULL" if name is None else f'"{name}"'
        picked.append(f'CAST({value} AS {column.type}) AS "{column.name}"')
    return (
        f"CREATE VIEW ev_{family} AS SELECT {', '.join(picked)} FROM {source} "
        "WHERE \"timestamp\" <= getvariable('as_of')"
    )


def _plain(value: object) -> object:
    """A value as JSON carries it."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def run_sql(
    connection: duckdb.DuckDBPyConnection,
    root: Path,
    sql: str,
    parameters: Mapping[str, Any],
) -> tuple[tuple[str, ...], list[Row]]:
    """Blocking: the SQL over the export at ``root``, with those of
    ``parameters`` it names (``$name``) bound."""
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute("SET VARIABLE as_of = $as_of", {"as_of": parameters["as_of"]})
    for family in FAMILIES:
        connection.execute(_family_view(connection, root, family))
    named = {name: parameters[name] for name in set(_PARAMETER.findall(sql))}
    result = connection.execute(sql, named)
    columns = tuple(d[0] for d in result.description or ())
    rows = [
        {c: _plain(v) for c, v in zip(columns, row, strict=True)}
        for row in result.fetchall()
    ]
    return columns, rows


def sql_parameters(
    period: Period, scope: Scope, candidates: Sequence[str]
) -> dict[str, Any]:
    """Every parameter a report's SQL may name (``queries.reports.catalogue``)."""
    return {
        "as_of": period.as_of,
        "period_start": period.start_at,
        "period_end": period.end_before,
        "everything": scope.everything,
        "npos": list(scope.npo_ids),
        "communities": list(scope.community_ids),
        "candidates": list(candidates),
        "min_ratings": MIN_RATINGS,
    }


class ExportReports:
    """Reports over the export in ``root``: fresh enough, off the event loop,
    within a time limit."""

    def __init__(
        self,
        root: Path,
        fresh: FreshExport,
        pseudonyms: Callable[[Sequence[str]], list[str]],
        timeout_seconds: float,
    ) -> None:
        self.root = root
        self._fresh = fresh
        self._pseudonyms = pseudonyms
        self._timeout = timeout_seconds

    async def answer(self, report: Report, period: Period, scope: Scope) -> Answer:
        await anyio.to_thread.run_sync(self._fresh.ensure)
        candidates = await anyio.to_thread.run_sync(
            self._pseudonyms, list(scope.candidate_ids)
        )
        parameters = sql_parameters(period, scope, candidates)
        columns, rows = await run_in_time(
            self.root, report.sql(), parameters, self._timeout
        )
        return Answer(columns, rows, exported_through(self.root))


async def run_in_time(
    root: Path, sql: str, parameters: Mapping[str, Any], timeout_seconds: float
) -> tuple[tuple[str, ...], list[Row]]:
    """``run_sql`` in a worker thread on a connection of its own, interrupted
    past ``timeout_seconds`` (``UnavailableError``)."""
    opened: list[duckdb.DuckDBPyConnection] = []

    def work() -> tuple[tuple[str, ...], list[Row]]:
        connection = duckdb.connect(":memory:")
        opened.append(connection)
        try:
            return run_sql(connection, root, sql, parameters)
        finally:
            connection.close()

    try:
        with anyio.fail_after(timeout_seconds):
            return await anyio.to_thread.run_sync(work, abandon_on_cancel=True)
    except TimeoutError as error:
        for connection in opened:
            with contextlib.suppress(duckdb.Error):
                connection.interrupt()
        raise UnavailableError(
            f"The report took longer than {timeout_seconds:g} s; try again."
        ) from error


# --- The reports, live or over the export, for a caller ---------------------------


@dataclass(frozen=True)
class ReportAnswer:
    report: Report
    period: Period | None  # None for a live report: as of now
    scope: Scope
    columns: tuple[str, ...]
    rows: list[Row]
    exported_through: dict[str, int]
    generated_at: datetime


class Reports:
    """Answers a report for a caller: their scope from the views, then the live
    work list or the SQL over the export."""

    def __init__(self, container: Container, over_export: ExportReports) -> None:
        self._container = container
        self._export = over_export

    async def answer(
        self,
        report: Report,
        user_id: str,
        roles: frozenset[str],
        period: Period | None,
    ) -> ReportAnswer:
        views = self._container.views
        scope = await anyio.to_thread.run_sync(scope_of, report, user_id, roles, views)
        if report.live or period is None:
            now = datetime.now(UTC)
            rows = await anyio.to_thread.run_sync(
                self._live, report, scope, user_id, now
            )
            return ReportAnswer(report, None, scope, report.columns, rows, {}, now)
        found = await self._export.answer(report, period, scope)
        return ReportAnswer(
            report,
            period,
            scope,
            found.columns,
            found.rows,
            found.exported_through,
            datetime.now(UTC),
        )

    def _live(
        self, report: Report, scope: Scope, user_id: str, now: datetime
    ) -> list[Row]:
        if report.name == "waiting-queues":
            return live.waiting_queues(self._container.views, scope, user_id, now)
        if report.name == "projection-lag":
            engine = self._container.engine
            return live.projection_lag(engine.status(probe_workers=False), self._age_of)
        raise ValueError(f"no live report named {report.name}")

    def _age_of(self, source: str, position: int) -> float | None:
        """Seconds since the event after ``position`` of ``source`` was recorded."""
        application = self._container.engine.applications.get(source)
        if application is None:
            return None
        found = application.recorder.select_notifications(position + 1, 1)
        if not found:
            return None
        event = application.mapper.to_domain_event(found[0])
        recorded: datetime = event.timestamp  # type: ignore[attr-defined]
        return max(0.0, (datetime.now(UTC) - recorded).total_seconds())


def reports_directory(settings: Settings) -> Path:
    """Where reports read the export: the export's directory, or ``<data
    dir>/analytics`` when the export goes to S3 (reports read a local copy)."""
    configured = default_target(settings)
    if configured.startswith("s3://"):
        return settings.data_dir / "analytics"
    return Path(configured)


def build_reports(container: Container) -> Reports:
    """The reports of the composed service, over its own export."""
    settings = container.settings
    root = reports_directory(settings)

    def export() -> None:
        export_events(container, str(root))

    def pseudonyms(user_ids: Sequence[str]) -> list[str]:
        found = (pseudonym_for(container, u) for u in user_ids)
        return [p for p in found if p is not None]

    over_export = ExportReports(
        root,
        FreshExport(export, settings.analytics_max_age_seconds),
        pseudonyms,
        settings.reports_timeout_seconds,
    )
    return Reports(container, over_export)
