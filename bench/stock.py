"""The same PostgreSQL view through eventsourcing's stock ``ProjectionRunner``.

This is the library's documented way: a ``Projection`` dispatches each domain event to
a method of a ``PostgresTrackingRecorder`` subclass (the materialised view), which
writes the view's rows and the tracking record in one transaction, one event at a
time. The SQL per event is the same as ``PlatformTables`` writes per batch.
"""

# SQL here names tables built from constants and the configured schema.
# ruff: noqa: S608

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.projection import Projection
from psycopg.sql import SQL

from bench.domain import Enrollment, Npo, Offering
from bench.views.tables import TABLES

STOCK_PREFIX = "stock_"


class StockProgress:
    """When the stock runner started and reached a position (for timing it)."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.applied = 0
        self.started: float | None = None
        self.finished: float | None = None
        self.applied_when_reached = 0
        self.reached = threading.Event()

    @property
    def seconds(self) -> float:
        if self.started is None or self.finished is None:
            return 0.0
        return self.finished - self.started

    def events_per_second(self) -> float:
        return self.applied_when_reached / max(self.seconds, 1e-9)


class StockPlatformView(PostgresTrackingRecorder):
    """NPO, offering and enrollment tables, one transaction per event."""

    # Set before the runner constructs the view (it starts processing at once).
    progress: StockProgress = StockProgress(0)

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        schema = datastore.schema
        self.names = {t.base: f'"{schema}".{STOCK_PREFIX}{t.base}' for t in TABLES}
        for table in TABLES:
            ddl = table.ddl(self.names[table.base], "postgres")
            self.sql_create_statements.append(SQL(ddl).format())
        npos, offerings = self.names["npos"], self.names["offerings"]
        enrollments = self.names["enrollments"]
        self.insert_npo = table_insert(npos, 6)
        self.insert_offering = table_insert(offerings, 8)
        self.insert_enrollment = table_insert(enrollments, 6)
        set_status = "UPDATE {} SET status = %s, version = %s WHERE id = %s"
        self.set_npo_status = SQL(set_status.format(npos))
        self.set_offering_status = SQL(set_status.format(offerings))
        self.set_enrollment_status = SQL(set_status.format(enrollments))
        self.set_enrollment_step = SQL(
            f"UPDATE {enrollments} SET step = %s, version = %s WHERE id = %s"
        )
        self.count_offering = SQL(
            f"UPDATE {npos} SET offerings = offerings + 1 WHERE id = %s"
        )
        self.count_enrolled = SQL(
            f"UPDATE {offerings} SET enrolled = enrolled + 1 WHERE id = %s"
        )
        self.count_completed = SQL(
            f"UPDATE {offerings} SET completed = completed + 1 WHERE id = "
            f"(SELECT offering_id FROM {enrollments} WHERE id = %s)"
        )

    def apply(
        self, statements: Sequence[tuple[SQL, Sequence[Any]]], tracking: Tracking
    ) -> None:
        progress = self.progress
        if progress.started is None:
            progress.started = time.perf_counter()
        with self.datastore.transaction(commit=True) as cursor:
            for sql, params in statements:
                cursor.execute(sql, params, prepare=True)
            self._insert_tracking(cursor, tracking)
        progress.applied += 1
        if (
            tracking.notification_id >= progress.target
            and not progress.reached.is_set()
        ):
            progress.finished = time.perf_counter()
            progress.applied_when_reached = progress.applied
            progress.reached.set()

    def count_rows(self, base: str) -> int:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(SQL(f"SELECT count(*) AS n FROM {self.names[base]}"))
            row = cursor.fetchone()
        return int(row["n"]) if row else 0


def table_insert(name: str, columns: int) -> SQL:
    return SQL(f"INSERT INTO {name} VALUES ({', '.join(['%s'] * columns)})")


class StockPlatformProjection(Projection[StockPlatformView]):
    name = "stockplatform"

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.insert_tracking(tracking)

    @process_event.register
    def _(self, e: Npo.Registered, tracking: Tracking) -> None:
        v = self.view
        row = (
            e.originator_id,
            e.name,
            e.country,
            "registered",
            0,
            e.originator_version,
        )
        v.apply([(v.insert_npo, row)], tracking)

    @process_event.register
    def _(self, e: Npo.Verified, tracking: Tracking) -> None:
        self._status(self.view.set_npo_status, "verified", e.originator_id, e, tracking)

    @process_event.register
    def _(self, e: Offering.Offered, tracking: Tracking) -> None:
        v = self.view
        row = (
            e.originator_id,
            e.npo_id,
            e.title,
            e.seats,
            "draft",
            0,
            0,
            e.originator_version,
        )
        v.apply([(v.insert_offering, row), (v.count_offering, (e.npo_id,))], tracking)

    @process_event.register
    def _(self, e: Offering.Published, tracking: Tracking) -> None:
        self._status(
            self.view.set_offering_status, "published", e.originator_id, e, tracking
        )

    @process_event.register
    def _(self, e: Offering.Closed, tracking: Tracking) -> None:
        self._status(
            self.view.set_offering_status, "closed", e.originator_id, e, tracking
        )

    @process_event.register
    def _(self, e: Enrollment.Enrolled, tracking: Tracking) -> None:
        v = self.view
        row = (
            e.originator_id,
            e.offering_id,
            e.candidate_id,
            0,
            "active",
            e.originator_version,
        )
        v.apply(
            [(v.insert_enrollment, row), (v.count_enrolled, (e.offering_id,))],
            tracking,
        )

    @process_event.register
    def _(self, e: Enrollment.StepCompleted, tracking: Tracking) -> None:
        v = self.view
        params = (e.step, e.originator_version, e.originator_id)
        v.apply([(v.set_enrollment_step, params)], tracking)

    @process_event.register
    def _(self, e: Enrollment.Completed, tracking: Tracking) -> None:
        v = self.view
        params = ("completed", e.originator_version, e.originator_id)
        v.apply(
            [
                (v.set_enrollment_status, params),
                (v.count_completed, (e.originator_id,)),
            ],
            tracking,
        )

    @process_event.register
    def _(self, e: Enrollment.Withdrew, tracking: Tracking) -> None:
        self._status(
            self.view.set_enrollment_status, "withdrawn", e.originator_id, e, tracking
        )

    def _status(
        self, sql: SQL, status: str, row_id: UUID, e: Any, tracking: Tracking
    ) -> None:
        self.view.apply([(sql, (status, e.originator_version, row_id))], tracking)
