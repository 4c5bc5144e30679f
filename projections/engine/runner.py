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
from projections.engine.status import FAILED, RETRYING, RUNNING, STANDBY, STOPPED
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
    before_position_recorded: BatchHook | None
    positions_channel: str

    def instance(self, name: str, version: int) -> Projection: ...

    def process_next_batch(self, projection: Projection) -> int: ...

    def set_state(self, name: str, state: str, error: str | None = None) -> None: ...

    def load_positions(self, session: SqlSession, name: str) -> None: ...

    def is_live(self, name: str, version: int) -> bool: ...


# --- The apply loop ----------------------------------------------------------------


def apply_next_batch(engine: EngineCore, projection: Projection) -> int:
    """Apply the next batch from each source; returns how many events it read."""
    total = 0
    for source in projection.sources:
        total += _process_source_batch(engine, projection, source)
    return total


def _process_source_batch(
    engine: EngineCore, projection: Projection, source: str
) -> int:
    for _ in range(3):
        try:
            return _apply_source_batch(engine, projection, source)
        except ConcurrentApplierError:
            continue  # someone else applied that batch; read the next one
    return 0


def _apply_source_batch(engine: EngineCore, projection: Projection, source: str) -> int:
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
            limit=projection.batch_size or engine.batch_size,
            inclusive_of_start=False,
        )
        if not notifications:
            return 0
        events = [ProjectedEvent(source, n, app.mapper) for n in notifications]
        projection.apply(session, events)
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
        while not self._stopping.is_set():
            self._wakeup.clear()
            try:
                applied = engine.process_next_batch(projection)
            except _VersionSwitchedError:
                projection = self._switch(projection)
                continue
            except Exception as error:  # noqa: BLE001 - any failure is retried
                attempts += 1
                message = error_summary(error)
                logger.warning("projection %s failed (attempt %d)", name, attempts)
                if attempts >= engine.max_attempts and not projection.retry_forever:
                    engine.set_state(name, FAILED, message)
                    return
                engine.set_state(name, RETRYING, message)
                delay = min(engine.retry_delay_seconds * 2 ** (attempts - 1), 5.0)
                self._stopping.wait(delay)
                continue
            if attempts:
                attempts = 0
                engine.set_state(name, RUNNING)
            if not applied:
                self._wakeup.wait(engine.idle_wait_seconds)
        engine.set_state(name, STOPPED)

    def _switch(self, old: Projection) -> Projection:
        fresh = self._load()
        with self.engine.store.transaction() as session:
            old.drop(session)
            self.engine.load_positions(session, self.projection_name)
        return fresh
