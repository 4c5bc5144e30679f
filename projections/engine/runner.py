"""Applying batches, and the thread that keeps one projection up to date.

The apply loop reads the next batch of a source's log from the tracked position
(``select_notifications``), hands it to the projection and records the new position
*in the same SQL transaction* as the projection's SQL changes; then it advances the
``PositionBoard`` and, on PostgreSQL, notifies the positions channel at commit.

A ``Runner`` thread per projection catches up, then sleeps until woken: by a command
saved in this process, by PostgreSQL's LISTEN/NOTIFY (``adapters.postgres.listen``),
or by a poll timeout. A projection that raises is retried with back-off; after
``max_attempts`` it stops (only that projection), its error recorded as its state.
It runs only while it holds the projection's worker lock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Protocol
from uuid import UUID

from eventsourcing.application import Application

from ports.relational import RelationalStore, SqlSession
from projections.contracts import ProjectedEvent, Projection
from projections.diagnostics import error_summary
from projections.engine.locks import WorkerLock
from projections.engine.positions import PositionBoard
from projections.engine.status import (
    FAILED,
    RESUMING,
    RETRYING,
    RUNNING,
    STANDBY,
    STOPPED,
)
from projections.engine.tracking import (
    ConcurrentApplierError,
    active_version,
    is_building,
    record_position,
    tracked_position,
)

logger = logging.getLogger(__name__)

# Called after a batch's effects and before its position is recorded (tests use it
# to stop a projection at the worst moment).
BatchHook = Callable[[str, Sequence[ProjectedEvent]], None]


class _VersionSwitchedError(Exception):
    """A rebuild made another version live; this batch belongs to the old one."""


class BatchFailedError(Exception):
    """A projection raised on a batch of one source's events (it was rolled back).

    ``failed_at`` names the event when the batch held just one.
    """

    def __init__(
        self, source: str, events: Sequence[ProjectedEvent], cause: Exception
    ) -> None:
        first, last = events[0], events[-1]
        self.source = source
        self.cause = cause
        self.failed_at = f"{source}:{first.position}" if len(events) == 1 else None
        where = (
            f"{source}:{first.position} {first.topic}"
            if len(events) == 1
            else f"{source}:{first.position}..{last.position}"
        )
        self.summary = f"{where}: {error_summary(cause)}"
        super().__init__(self.summary)


class EngineCore(Protocol):
    """What the apply loop and the runner threads need of the engine."""

    store: RelationalStore
    applications: dict[str, Application[UUID]]
    board: PositionBoard
    lock: WorkerLock
    batch_size: int
    idle_wait_seconds: float
    max_attempts: int
    retry_delay_seconds: float
    failed_poll_seconds: float
    before_position_recorded: BatchHook | None
    positions_channel: str

    def instance(self, name: str, version: int) -> Projection: ...

    def process_next_batch(
        self, projection: Projection, limit: int | None = None
    ) -> int: ...

    def set_state(
        self,
        name: str,
        state: str,
        error: str | None = None,
        failed_at: str | None = None,
    ) -> None: ...

    def state_of(self, name: str) -> str | None: ...

    def load_positions(self, session: SqlSession, name: str) -> None: ...

    def is_live(self, name: str, version: int) -> bool: ...


# --- The apply loop ----------------------------------------------------------------


def apply_next_batch(
    engine: EngineCore, projection: Projection, limit: int | None = None
) -> int:
    """Apply the next batch (of at most ``limit`` events) from each source; returns
    how many events it read."""
    total = 0
    for source in projection.sources:
        total += _process_source_batch(engine, projection, source, limit)
    return total


def _process_source_batch(
    engine: EngineCore, projection: Projection, source: str, limit: int | None
) -> int:
    for _ in range(3):
        try:
            return _apply_source_batch(engine, projection, source, limit)
        except ConcurrentApplierError:
            continue  # someone else applied that batch; read the next one
    return 0


def _apply_source_batch(
    engine: EngineCore, projection: Projection, source: str, limit: int | None
) -> int:
    app = engine.applications[source]
    name, version = projection.names.projection, projection.names.version
    with engine.store.transaction() as session:
        if active_version(session, name) != version and not is_building(
            session, name, version
        ):
            raise _VersionSwitchedError(name)
        start = tracked_position(session, name, version, source, lock=True)
        notifications = app.recorder.select_notifications(
            start=start,
            limit=limit or projection.batch_size or engine.batch_size,
            inclusive_of_start=False,
        )
        if not notifications:
            return 0
        events = [ProjectedEvent(source, n, app.mapper) for n in notifications]
        try:
            projection.apply(session, events)
        except Exception as error:
            raise BatchFailedError(source, events, error) from error
        if engine.before_position_recorded is not None:
            engine.before_position_recorded(name, events)
        last = notifications[-1].id
        record_position(session, name, version, source, expected=start, position=last)
        if session.dialect == "postgres":
            # Delivered at commit: API processes without a runner learn of it.
            session.execute(
                "SELECT pg_notify(%s, %s)",
                (engine.positions_channel, f"{name}|{version}|{source}|{last}"),
            )
    if engine.is_live(name, version):
        engine.board.advance(name, source, last)
    return len(notifications)


def _describe(error: Exception) -> str:
    if isinstance(error, BatchFailedError):
        return error.summary
    return error_summary(error)


# --- The runner thread ---------------------------------------------------------------


class Runner(threading.Thread):
    """Keeps one projection up to date in the background."""

    def __init__(self, engine: EngineCore, name: str) -> None:
        super().__init__(name=f"projection-{name}", daemon=True)
        self.engine = engine
        self.projection_name = name
        self.version = 0
        self._wakeup = threading.Event()
        self._stopping = threading.Event()

    def wake(self) -> None:
        self._wakeup.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wakeup.set()

    def run(self) -> None:
        engine, name = self.engine, self.projection_name
        while not self._stopping.is_set():
            if engine.lock.try_acquire(name):
                try:
                    self._run_while_holding_lock()
                finally:
                    engine.lock.release(name)
                return
            engine.set_state(name, STANDBY)
            self._stopping.wait(2.0)

    def _load(self) -> Projection:
        with self.engine.store.transaction() as session:
            self.version = active_version(session, self.projection_name)
        return self.engine.instance(self.projection_name, self.version)

    def _run_while_holding_lock(self) -> None:
        engine, name = self.engine, self.projection_name
        projection = self._load()
        engine.set_state(name, RUNNING)
        attempts = 0
        # After a failure, events are applied one at a time for a batch's worth,
        # so the ones before the failing event get through and it is named.
        one_at_a_time = 0
        while not self._stopping.is_set():
            self._wakeup.clear()
            try:
                applied = engine.process_next_batch(
                    projection, 1 if one_at_a_time else None
                )
            except _VersionSwitchedError:
                projection = self._switch(projection)
                continue
            except Exception as error:  # noqa: BLE001 - any failure is retried
                attempts += 1
                failure = _describe(error)
                logger.warning(
                    "projection %s failed (attempt %d): %s", name, attempts, failure
                )
                failed_at = getattr(error, "failed_at", None)
                if (
                    attempts >= engine.max_attempts
                    and failed_at is not None
                    and not projection.retry_forever
                ):
                    if not self._stop_until_resumed(failure, failed_at):
                        return  # stopping: it stays FAILED, as it is
                    projection = self._load()
                    attempts = one_at_a_time = 0
                    continue
                one_at_a_time = projection.batch_size or engine.batch_size
                engine.set_state(name, RETRYING, failure)
                delay = min(engine.retry_delay_seconds * 2 ** (attempts - 1), 5.0)
                self._stopping.wait(delay)
                continue
            if applied and one_at_a_time:
                one_at_a_time -= 1
            if attempts:
                attempts = 0
                engine.set_state(name, RUNNING)
            if not applied:
                self._wakeup.wait(engine.idle_wait_seconds)
        engine.set_state(name, STOPPED)

    def _stop_until_resumed(self, failure: str, failed_at: str) -> bool:
        """Record the failure, alert, and wait (holding the lock, so no other
        worker retries it) until an operator resumes; False when stopping."""
        engine, name = self.engine, self.projection_name
        engine.set_state(name, FAILED, failure, failed_at=failed_at)
        logger.error(
            "projection %s FAILED on event %s and waits for an operator: %s "
            "(spotlight projections resume|skip; README 'When a projection fails')",
            name,
            failed_at,
            failure,
        )
        while not self._stopping.wait(engine.failed_poll_seconds):
            if engine.state_of(name) == RESUMING:
                logger.warning("projection %s resumed by an operator", name)
                engine.set_state(name, RUNNING)
                with engine.store.transaction() as session:
                    engine.load_positions(session, name)
                return True
        return False

    def _switch(self, old: Projection) -> Projection:
        fresh = self._load()
        with self.engine.store.transaction() as session:
            old.drop(session)
            self.engine.load_positions(session, self.projection_name)
        return fresh
