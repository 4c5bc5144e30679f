"""The benchmark's relational view, written through our projection engine.

``PlatformTables``: PostgreSQL (or SQLite) tables of NPOs, offerings and enrollments
with counters. A batch is folded in memory first (one row write per aggregate per
batch), then written with one ``executemany`` per statement shape.
"""

# SQL here names tables built from ``ViewNames`` and constants, never from input.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from bench.domain import BenchPlatform, Enrollment, Npo, Offering
from ports.relational import Dialect, SqlSession
from projections.contracts import ProjectedEvent, Projection

# --- Tables ----------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A view table: ``columns`` in insert order, the id first and version last."""

    base: str
    columns: tuple[tuple[str, str], ...]
    updatable: tuple[str, ...]
    counters: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    def ddl(self, name: str, dialect: Dialect) -> str:
        def sql_type(kind: str) -> str:
            return "TEXT" if kind == "UUID" and dialect == "sqlite" else kind

        columns = ", ".join(f"{c} {sql_type(kind)}" for c, kind in self.columns)
        return f"CREATE TABLE IF NOT EXISTS {name} ({columns}, PRIMARY KEY (id))"

    def insert_sql(self, name: str) -> str:
        placeholders = ", ".join(["%s"] * len(self.columns))
        return f"INSERT INTO {name} ({', '.join(self.names)}) VALUES ({placeholders})"

    def update_sql(self, name: str) -> str:
        sets = ", ".join(f"{c} = COALESCE(%s, {c})" for c in self.updatable)
        return f"UPDATE {name} SET {sets}, version = %s WHERE id = %s"

    def count_sql(self, name: str) -> str:
        sets = ", ".join(f"{c} = {c} + %s" for c in self.counters)
        return f"UPDATE {name} SET {sets} WHERE id = %s"


NPOS = Table(
    "npos",
    (
        ("id", "UUID"),
        ("name", "TEXT"),
        ("country", "TEXT"),
        ("status", "TEXT"),
        ("offerings", "INTEGER"),
        ("version", "INTEGER"),
    ),
    updatable=("status",),
    counters=("offerings",),
)
OFFERINGS = Table(
    "offerings",
    (
        ("id", "UUID"),
        ("npo_id", "UUID"),
        ("title", "TEXT"),
        ("seats", "INTEGER"),
        ("status", "TEXT"),
        ("enrolled", "INTEGER"),
        ("completed", "INTEGER"),
        ("version", "INTEGER"),
    ),
    updatable=("status",),
    counters=("enrolled", "completed"),
)
ENROLLMENTS = Table(
    "enrollments",
    (
        ("id", "UUID"),
        ("offering_id", "UUID"),
        ("candidate_id", "UUID"),
        ("step", "INTEGER"),
        ("status", "TEXT"),
        ("version", "INTEGER"),
    ),
    updatable=("step", "status"),
)
TABLES = (NPOS, OFFERINGS, ENROLLMENTS)


class TableBatch:
    """One table's changes from one batch, folded so each row is written once."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.new: dict[UUID, dict[str, Any]] = {}
        self.changed: dict[UUID, dict[str, Any]] = {}
        self.counts: dict[UUID, dict[str, int]] = {}

    def insert(self, row_id: UUID, row: dict[str, Any]) -> None:
        self.new[row_id] = row

    def update(self, row_id: UUID, version: int, **fields: Any) -> None:
        row = self.new.get(row_id)
        if row is None:
            row = self.changed.setdefault(row_id, {})
        row.update(fields)
        row["version"] = version

    def count(self, row_id: UUID, column: str) -> None:
        row = self.new.get(row_id)
        if row is None:
            counts = self.counts.setdefault(row_id, {})
            counts[column] = counts.get(column, 0) + 1
        else:
            row[column] += 1

    def write(self, session: SqlSession, name: str) -> None:
        table = self.table
        if self.new:
            names = table.names
            session.executemany(
                table.insert_sql(name),
                [tuple(row[c] for c in names) for row in self.new.values()],
            )
        if self.changed:
            updatable = table.updatable
            session.executemany(
                table.update_sql(name),
                [
                    (*(row.get(c) for c in updatable), row["version"], row_id)
                    for row_id, row in self.changed.items()
                ],
            )
        if self.counts:
            counters = table.counters
            session.executemany(
                table.count_sql(name),
                [
                    (*(counts.get(c, 0) for c in counters), row_id)
                    for row_id, counts in self.counts.items()
                ],
            )


class TablesBatch:
    def __init__(self) -> None:
        self.npos = TableBatch(NPOS)
        self.offerings = TableBatch(OFFERINGS)
        self.enrollments = TableBatch(ENROLLMENTS)
        # Enrollments completed: their offering's id is in the view, not the event.
        self.completions: list[UUID] = []

    def write(self, session: SqlSession, name: Callable[[str], str]) -> None:
        # Inserts first (counters may target rows created in this batch), then the
        # updates and counters of rows created in earlier batches.
        for batch in (self.npos, self.offerings, self.enrollments):
            batch.write(session, name(batch.table.base))
        if not self.completions:
            return
        offerings, enrollments = name("offerings"), name("enrollments")
        if session.dialect == "postgres":
            session.execute(
                f"UPDATE {offerings} AS o SET completed = o.completed + c.n "
                f"FROM (SELECT offering_id, count(*) AS n FROM {enrollments} "
                "WHERE id = ANY(%s) GROUP BY offering_id) AS c "
                "WHERE o.id = c.offering_id",
                (self.completions,),
            )
        else:
            session.executemany(
                f"UPDATE {offerings} SET completed = completed + 1 WHERE id = "
                f"(SELECT offering_id FROM {enrollments} WHERE id = %s)",
                [(e,) for e in self.completions],
            )


TableHandler = Callable[[TablesBatch, ProjectedEvent], None]


def _npo_registered(b: TablesBatch, item: ProjectedEvent) -> None:
    e = item.event
    assert isinstance(e, Npo.Registered)
    b.npos.insert(
        item.originator_id,
        {
            "id": item.originator_id,
            "name": e.name,
            "country": e.country,
            "status": "registered",
            "offerings": 0,
            "version": item.originator_version,
        },
    )


def _offered(b: TablesBatch, item: ProjectedEvent) -> None:
    e = item.event
    assert isinstance(e, Offering.Offered)
    b.offerings.insert(
        item.originator_id,
        {
            "id": item.originator_id,
            "npo_id": e.npo_id,
            "title": e.title,
            "seats": e.seats,
            "status": "draft",
            "enrolled": 0,
            "completed": 0,
            "version": item.originator_version,
        },
    )
    b.npos.count(e.npo_id, "offerings")


def _enrolled(b: TablesBatch, item: ProjectedEvent) -> None:
    e = item.event
    assert isinstance(e, Enrollment.Enrolled)
    b.enrollments.insert(
        item.originator_id,
        {
            "id": item.originator_id,
            "offering_id": e.offering_id,
            "candidate_id": e.candidate_id,
            "step": 0,
            "status": "active",
            "version": item.originator_version,
        },
    )
    b.offerings.count(e.offering_id, "enrolled")


def _step_completed(b: TablesBatch, item: ProjectedEvent) -> None:
    e = item.event
    assert isinstance(e, Enrollment.StepCompleted)
    b.enrollments.update(item.originator_id, item.originator_version, step=e.step)


def _completed(b: TablesBatch, item: ProjectedEvent) -> None:
    b.enrollments.update(
        item.originator_id, item.originator_version, status="completed"
    )
    b.completions.append(item.originator_id)


def _status(part: Callable[[TablesBatch], TableBatch], status: str) -> TableHandler:
    """Events that only move a row to a new status: no need to decode them."""

    def handle(b: TablesBatch, item: ProjectedEvent) -> None:
        part(b).update(item.originator_id, item.originator_version, status=status)

    return handle


TABLE_HANDLERS: dict[str, TableHandler] = {
    get_topic(Npo.Registered): _npo_registered,
    get_topic(Npo.Verified): _status(lambda b: b.npos, "verified"),
    get_topic(Offering.Offered): _offered,
    get_topic(Offering.Published): _status(lambda b: b.offerings, "published"),
    get_topic(Offering.Closed): _status(lambda b: b.offerings, "closed"),
    get_topic(Enrollment.Enrolled): _enrolled,
    get_topic(Enrollment.StepCompleted): _step_completed,
    get_topic(Enrollment.Completed): _completed,
    get_topic(Enrollment.Withdrew): _status(lambda b: b.enrollments, "withdrawn"),
}


class PlatformTables(Projection):
    """NPOs, offerings and enrollments as SQL rows, with counters."""

    name = "bench_platform_tables"
    sources = (BenchPlatform.name,)

    def setup(self, session: SqlSession) -> None:
        for table in TABLES:
            session.execute(table.ddl(self.names.table(table.base), session.dialect))

    def apply(self, session: SqlSession, events: Sequence[ProjectedEvent]) -> None:
        batch = TablesBatch()
        handlers = TABLE_HANDLERS
        for item in events:
            handler = handlers.get(item.topic)
            if handler is not None:
                handler(batch, item)
        batch.write(session, self.names.table)

    def drop(self, session: SqlSession) -> None:
        for table in TABLES:
            session.execute(f"DROP TABLE IF EXISTS {self.names.table(table.base)}")
