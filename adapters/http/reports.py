"""Reports for dashboards (#9, NP6, CL6, A4): ``GET /reports`` and one route each.

``GET /reports`` lists the reports the caller may read. Each report has its own
route, ``GET /reports/<name>``, gated by the roles that may read it (so the
permission matrix and the OpenAPI document name every report), answering JSON or,
with ``Accept: text/csv``, CSV with a header row. A report over the export takes
``from``/``to`` (dates, ``to`` included) and ``as_of`` (a past moment); a live one
answers as of now. The rows are narrowed to the caller (``queries.reports.scope``):
an NPO member sees its NPOs' rows, a leader their communities', a mentor their
mentees', a candidate their own, an admin everything. Any other name is a 404.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from adapters.analytics.reports import ReportAnswer, Reports
from adapters.http.auth import CurrentUser, CurrentUserDep, require_roles
from domain.base import NotFoundError
from domain.identity.values import Role
from queries.reports.catalogue import REPORTS, Report, visible_to
from queries.reports.period import DATE_PATTERN, MOMENT_PATTERN, parse_period

CSV = "text/csv"

router = APIRouter(prefix="/reports", tags=["reports"])

Value = str | int | float | bool | None


class ReportInfo(BaseModel):
    """A report: its name (its route is ``/reports/<name>``), what it shows."""

    name: str
    title: str
    description: str
    live: bool = Field(description="Read from the views as of now, not the export.")
    columns: list[str]
    readers: list[str] = Field(description="The roles that may read it.")

    @classmethod
    def of(cls, report: Report) -> ReportInfo:
        return cls(
            name=report.name,
            title=report.title,
            description=report.description,
            live=report.live,
            columns=list(report.columns),
            readers=list(report.readers()),
        )


class CatalogueOut(BaseModel):
    reports: list[ReportInfo]


class ReportOut(BaseModel):
    """A report's rows, with what they are as of and what they were made from."""

    model_config = ConfigDict(populate_by_name=True)

    report: str
    as_of: datetime = Field(description="Only events up to this moment count.")
    from_: date | None = Field(
        alias="from", description="The period's first day; null for a live report."
    )
    to: date | None = Field(description="The period's last day (included).")
    scope: dict[str, Any] = Field(
        description="Whose rows: `role` and `roles` read as; unless everything, "
        "the NPO and community ids and the number of candidates."
    )
    columns: list[str]
    rows: list[dict[str, Value]]
    exported_through: dict[str, int] = Field(
        description="The last position of each application's event log the "
        "export held; empty for a live report."
    )
    generated_at: datetime

    @classmethod
    def of(cls, answer: ReportAnswer, user: CurrentUser) -> ReportOut:
        held = {str(r) for r in user.roles}
        roles = [n for n in answer.report.readers() if n in held]
        period = answer.period
        return cls(
            report=answer.report.name,
            as_of=period.as_of if period else answer.generated_at,
            from_=period.start if period else None,
            to=period.end if period else None,
            scope={
                "role": roles[0] if roles else None,
                "roles": roles,
                **answer.scope.describe(),
            },
            columns=list(answer.columns),
            rows=answer.rows,
            exported_through=answer.exported_through,
            generated_at=answer.generated_at,
        )


FromQuery = Annotated[
    str | None,
    Query(
        alias="from",
        pattern=DATE_PATTERN,
        description="The period's first day (e.g. 2026-01-01); 83 days before "
        "`to` when absent.",
    ),
]
ToQuery = Annotated[
    str | None,
    Query(
        pattern=DATE_PATTERN,
        description="The period's last day, included; the day of `as_of` when absent.",
    ),
]
AsOfQuery = Annotated[
    str | None,
    Query(
        max_length=40,
        pattern=MOMENT_PATTERN,
        description="A past moment (ISO 8601 date or timestamp, UTC without an "
        "offset; a date is its end): the report as it stood then. Now when absent.",
    ),
]


def _reports(request: Request) -> Reports:
    reports: Reports = request.app.state.reports
    return reports


def _wants_csv(request: Request) -> bool:
    accepted = request.headers.get("accept", "")
    return any(part.split(";")[0].strip() == CSV for part in accepted.split(","))


# A spreadsheet runs a cell starting with one of these as a formula; report rows
# carry text people typed (regions, categories), so such a cell is sent quoted.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Value) -> Value:
    """A value as a CSV cell that a spreadsheet shows, never evaluates."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _csv(out: ReportOut) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(out.columns)
    for row in out.rows:
        writer.writerow([csv_cell(row.get(c)) for c in out.columns])
    return Response(
        buffer.getvalue(),
        media_type=f"{CSV}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{out.report}.csv"'},
    )


def _respond(out: ReportOut, request: Request) -> ReportOut | Response:
    return _csv(out) if _wants_csv(request) else out


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            CSV: {
                "schema": {"type": "string"},
                "description": "The same rows as CSV, a header row first "
                "(`Accept: text/csv`).",
            }
        }
    }
}


def _report_route(report: Report) -> None:
    gate: Callable[[CurrentUser], Awaitable[CurrentUser]] = require_roles(
        *(Role(r) for r in report.readers())
    )
    # Built per report, so given as a default: an annotation would be resolved
    # in the module's globals, where ``gate`` is not.
    let_in = Depends(gate)
    readers = ", ".join(report.readers())
    summary = report.title
    description = (
        f"{report.description}\n\nColumns: {', '.join(report.columns)}. "
        f"For {readers}, narrowed to the caller's own (admins see everything)."
    )
    if report.live:

        async def read_live(
            request: Request, user: CurrentUser = let_in
        ) -> ReportOut | Response:
            answer = await _reports(request).answer(
                report, str(user.id), frozenset(str(r) for r in user.roles), None
            )
            return _respond(ReportOut.of(answer, user), request)

        endpoint: Callable[..., Any] = read_live
    else:

        async def read_over_export(
            request: Request,
            start: FromQuery = None,
            to: ToQuery = None,
            as_of: AsOfQuery = None,
            user: CurrentUser = let_in,
        ) -> ReportOut | Response:
            period = parse_period(start, to, as_of)
            answer = await _reports(request).answer(
                report, str(user.id), frozenset(str(r) for r in user.roles), period
            )
            return _respond(ReportOut.of(answer, user), request)

        endpoint = read_over_export
    router.add_api_route(
        f"/{report.name}",
        endpoint,
        methods=["GET"],
        response_model=ReportOut,
        summary=summary,
        description=description,
        responses=_RESPONSES,
        operation_id=f"report_{report.name.replace('-', '_')}",
    )


@router.get("")
async def list_reports(user: CurrentUserDep) -> CatalogueOut:
    """The reports you may read, each with its columns and who may read it."""
    roles = frozenset(str(r) for r in user.roles)
    return CatalogueOut(reports=[ReportInfo.of(r) for r in visible_to(roles)])


for _report in REPORTS:
    _report_route(_report)


@router.get("/{name}", include_in_schema=False)
async def unknown_report(name: str, user: CurrentUserDep) -> None:
    """Any other name: no such report (404); ``GET /reports`` lists them."""
    raise NotFoundError("No such report; GET /reports lists those you may read.")
