"""Applying batches, and the thread that keeps one projection up to date.

The apply loop reads the next batch of a source's log from the tracked position
(``select_notifications``), hands it to the projection and records the new position
*in the same SQL transaction* as the projection's SQL changes; then it advances the
``PositionBoard`` and, on PostgreSQL, notifies the positions channel at commit.

A ``Runner`` thread per projection catches up, then sleeps until woken: by a command
saved in this process, by PostgreSQL's LISTEN/NOTIFY (``adapters.postgres.listen``),
or by a poll timeout. It runs only while it holds the projection's worker lock, and
fences every batch with it: a batch applies only if, inside its transaction, the
lock is still this worker's (a PostgreSQL restart takes session locks away).

Failures:

- an *outage* (``ports.errors.is_outage``: a backend out of reach) is retried with
  capped back-off for as long as it lasts, state RETRYING; the projection carries on
  by itself once the backend is back;
- any other failure is retried with back-off; after ``max_attempts`` on one event it
  stops (only that projection), FAILED, until an operator resumes or skips it;
- a lost lock stops applying at once: the runner stands by and takes the lock
  again when it is free (or another worker does);
- anything else escaping the loop (a bug in the loop itself) is logged in one line
  and counted (``restarts``); the lock is released and the runner starts over
  after a back-off.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar
from uuid import UUID

from eventsourcing.application import Application

from ports.errors import is_outage
from ports.relational import RelationalStore, SqlSession
from projections.contracts import ProjectedEvent, Projection
from projections.diagnostics import error_summary
from projections.engine.locks import LockLostError, WorkerLock
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

T = TypeVar("T")


class _VersionSwitchedError(Exception):
    """A rebuild made another version live; this batch belongs to the old one."""


class BatchFailedError(Exception):
    """A projection raised on a batch of one source's events (it was rolled back).

    ``failed_at`` names the event when the batch held just one, and
    ``correlation_id`` the id it carries (for the log lines about it).
    """

    def __init__(
        self, source: str, events: Sequence[ProjectedEvent], cause: Exception
    ) -> None:
        first, last = events[0], events[-1]
        self.source = source
        self.cause = cause
        self.failed_at = f"{source}:{first.position}" if len(events) == 1 else None
        self.correlation_id = _correlation_of(first) if len(events) == 1 else None
        where = (
            f"{source}:{first.position} {first.topic}"
            if len(events) == 1
            else f"{source}:{first.position}..{last.position}"
        )
        self.summary = f"{where}: {error_summary(cause)}"
        super().__init__(self.summary)


def _correlation_of(item: ProjectedEvent) -> str | None:
    try:
        return item.correlation_id
    except Exception:  # noqa: BLE001 - an event that cannot be decoded has none
        return None


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
    max_retry_delay_seconds: float
    failed_poll_seconds: float
    lock_check_seconds: float
    standby_poll_seconds: float
    before_position_recorded: BatchHook | None
    positions_channel: str

    def instance(self, name: str, version: int) -> Projection: ...

    def process_next_batch(
        self, projection: Projection, limit: int | None = None, *, fenced: bool = False
    ) -> int: ...

    def set_state(
        self,
        name: str,
        state: str,
        error: str | None = None,
        failed_at: str | None = None,
    ) -> bool: ...

    def state_of(self, name: str) -> str | None: ...

    def load_positions(self, session: SqlSession, name: str) -> None: ...

    def is_live(self, name: str, version: int) -> bool: ...


# --- The apply loop ----------------------------------------------------------------


def apply_next_batch(
    engine: EngineCore,
    projection: Projection,
    limit: int | None = None,
    *,
    fenced: bool = False,
) -> int:
    """Apply the next batch (of at most ``limit`` events) from each source; returns
    how many events it read.

    ``fenced`` (a runner holding the worker lock): each batch applies only if the
    lock is still held, else ``LockLostError``.
    """
    total = 0
    for source in projection.sources:
        total += _process_source_batch(engine, projection, source, limit, fenced)
    return total


def _process_source_batch(
    engine: EngineCore,
    projection: Projection,
    source: str,
    limit: int | None,
    fenced: bool,
) -> int:
    for _ in range(3):
        try:
            return _apply_source_batch(engine, projection, source, limit, fenced)
        except ConcurrentApplierError:
            continue  # someone else applied that batch; read the next one
    return 0


def _apply_source_batch(
    engine: EngineCore,
    projection: Projection,
    source: str,
    limit: int | None,
    fenced: bool,
) -> int:
    app = engine.applications[source]
    name, version = projection.names.projection, projection.names.version
    with engine.store.transaction() as session:
        if active_version(session, name) != version and not is_building(
            session, name, version
        ):
            raise _VersionSwitchedError(name)
        start = tracked_position(session, name, version, source, lock=True)
        if fenced:
            _fence(engine, session, name)
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


def _fence(engine: EngineCore, session: SqlSession, name: str) -> None:
    """Refuse to apply unless this worker still holds the projection's lock.

    Asked inside the batch's transaction, after its tracking row is locked: a worker
    that takes the lock over waits on that row until this transaction ends, so the
    two never apply at once. The projection's state row is locked too, for a
    projection with several sources (one tracking row each).
    """
    if session.dialect == "postgres":
        session.execute(
            "SELECT 1 FROM projection_state WHERE projection = %s FOR UPDATE",
            (name,),
        )
    if not engine.lock.holds(name, session):
        raise LockLostError(name)


def _describe(error: Exception) -> str:
    if isinstance(error, BatchFailedError):
        return error.summary
    return error_summary(error)


# --- The runner thread ---------------------------------------------------------------


class _StoppingError(Exception):
    """``stop()`` was called while the runner waited for a backend."""


@dataclass
class _Retries:
    """A runner's failures in a row."""

    attempts: int = 0  # failures a retry may not fix
    outages: int = 0  # backends out of reach
    recorded: str | None = None  # the RETRYING summary recorded last
    one_at_a_time: int = 0  # events left to apply singly after a failure

    def reset(self) -> None:
        self.attempts = self.outages = self.one_at_a_time = 0
        self.recorded = None


class Runner(threading.Thread):
    """Keeps one projection up to date in the background.

    ``restarts`` counts the times its loop crashed and started over (in this thread
    or, when the thread itself ended, in the one the engine started instead);
    ``last_crash`` summarises the last crash.
    """

    def __init__(
        self,
        engine: EngineCore,
        name: str,
        *,
        restarts: int = 0,
        last_crash: str | None = None,
    ) -> None:
        super().__init__(name=f"projection-{name}", daemon=True)
        self.engine = engine
        self.projection_name = name
        self.version = 0
        self.restarts = restarts
        self.last_crash = last_crash
        self._wakeup = threading.Event()
        self._stopping = threading.Event()
        self._holding = False
        self._troubles = 0  # crashes and lost locks in a row, for the back-off
        self._lock_checked_at = 0.0
        # A state the database could not take (state, error, failed_at).
        self._unrecorded: tuple[str, str | None, str | None] | None = None

    def wake(self) -> None:
        self._wakeup.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wakeup.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    # -- supervision --------------------------------------------------------------

    def run(self) -> None:
        try:
            self._supervise()
        except BaseException as error:
            # Not an ``Exception``: the thread ends. The engine starts another
            # (``ProjectionEngine.revive``) and reports this.
            self.last_crash = error_summary(error)
            raise

    def _supervise(self) -> None:
        """Run until stopped; a crash is logged, counted, and started over."""
        while not self._stopping.is_set():
            try:
                self._acquire_and_run()
            except _StoppingError:
                self._record(STOPPED)
            except Exception as error:  # noqa: BLE001 - logged, counted, restarted
                self._crashed(error)
            finally:
                self._release()

    def _crashed(self, error: Exception) -> None:
        self.restarts += 1
        self.last_crash = error_summary(error)
        self._troubles += 1
        delay = self._backoff(self._troubles)
        # One line, type and first line only: a traceback's messages may quote data.
        logger.error(
            "projection %s runner crashed (restart %d in %.1f s): %s",
            self.projection_name,
            self.restarts,
            delay,
            self.last_crash,
        )
        self._release()
        self._stopping.wait(delay)

    def _acquire_and_run(self) -> None:
        engine, name = self.engine, self.projection_name
        standing_by = False
        while not self._stopping.is_set():
            if self._try_acquire():
                standing_by = False
                try:
                    self._run_while_holding_lock()
                except LockLostError:
                    self._troubles += 1
                    logger.warning(
                        "projection %s lost its worker lock: it stops applying and "
                        "stands by",
                        name,
                    )
                finally:
                    self._release()
                if self._stopping.is_set():
                    return
                self._record(STANDBY)
                # Back off a little: a flapping lock must not spin.
                self._stopping.wait(self._backoff(self._troubles))
                continue
            if not standing_by or self._unrecorded is not None:
                # Once on standing by (not every poll): the holder's state stays.
                standing_by = True
                self._record(STANDBY)
            self._stopping.wait(engine.standby_poll_seconds)

    def _try_acquire(self) -> bool:
        try:
            self._holding = self.engine.lock.try_acquire(self.projection_name)
        except Exception as error:  # noqa: BLE001 - not acquired; tried again
            logger.warning(
                "projection %s could not take its worker lock: %s",
                self.projection_name,
                error_summary(error),
            )
            self._holding = False
        if self._holding:
            self._lock_checked_at = time.monotonic()
        return self._holding

    def _release(self) -> None:
        if not self._holding:
            return
        self._holding = False
        try:
            self.engine.lock.release(self.projection_name)
        except Exception as error:  # noqa: BLE001 - its session ends it anyway
            logger.warning(
                "projection %s could not release its worker lock: %s",
                self.projection_name,
                error_summary(error),
            )

    def _record(
        self, state: str, error: str | None = None, failed_at: str | None = None
    ) -> bool:
        """Record the projection's state; one its database could not take is
        recorded again later (``_look_after``), so a state is never stuck."""
        recorded = self.engine.set_state(
            self.projection_name, state, error, failed_at=failed_at
        )
        self._unrecorded = None if recorded else (state, error, failed_at)
        return recorded

    def _look_after(self) -> None:
        """While idle or waiting for an operator, at most every
        ``lock_check_seconds``: record a state that could not be recorded, and
        check the lock is still held (a dead lock connection must not leave a
        worker RUNNING); ``LockLostError`` when it is not."""
        if time.monotonic() - self._lock_checked_at < self.engine.lock_check_seconds:
            return
        self._lock_checked_at = time.monotonic()
        if self._unrecorded is not None:
            self._record(*self._unrecorded)
        try:
            alive = self.engine.lock.is_alive(self.projection_name)
        except Exception as error:  # noqa: BLE001 - a lock that cannot say is lost
            logger.warning(
                "projection %s could not check its worker lock: %s",
                self.projection_name,
                error_summary(error),
            )
            alive = False
        if not alive:
            raise LockLostError(self.projection_name)

    def _backoff(self, attempt: int) -> float:
        engine = self.engine
        exponent = min(max(attempt - 1, 0), 30)
        return float(
            min(
                engine.retry_delay_seconds * 2**exponent, engine.max_retry_delay_seconds
            )
        )

    def _until_done(self, action: Callable[[], T]) -> T:
        """Run ``action`` (a database step of the runner's own) until it gets
        through an outage; raises ``_StoppingError`` when stopped meanwhile."""
        failures = 0
        while True:
            try:
                return action()
            except Exception as error:
                if not is_outage(error):
                    raise
                failures += 1
                if failures == 1:
                    logger.warning(
                        "projection %s waits for its database: %s",
                        self.projection_name,
                        error_summary(error),
                    )
                if self._stopping.wait(self._backoff(failures)):
                    raise _StoppingError from None

    # -- holding the lock ---------------------------------------------------------

    def _load(self) -> Projection:
        def read_version() -> int:
            with self.engine.store.transaction() as session:
                return active_version(session, self.projection_name)

        self.version = self._until_done(read_version)
        return self.engine.instance(self.projection_name, self.version)

    def _run_while_holding_lock(self) -> None:
        engine = self.engine
        projection: Projection | None = self._load()
        self._record(RUNNING)
        retries = _Retries()
        while projection is not None and not self._stopping.is_set():
            self._wakeup.clear()
            try:
                applied = engine.process_next_batch(
                    projection, 1 if retries.one_at_a_time else None, fenced=True
                )
            except _VersionSwitchedError:
                projection = self._switch(projection)
                continue
            except LockLostError:
                raise
            except Exception as error:  # noqa: BLE001 - any failure is retried
                projection = self._retry(projection, error, retries)
                continue
            self._applied(applied, retries)
            if not applied:
                self._idle()
        if projection is not None:
            self._record(STOPPED)
        # else: stopped while FAILED, and it stays FAILED, as it is

    def _retry(
        self, projection: Projection, error: Exception, retries: _Retries
    ) -> Projection | None:
        """Wait before trying ``error``'s batch again, or stop on its event for an
        operator; returns the projection to go on with (None: stopped meanwhile)."""
        engine, name = self.engine, self.projection_name
        failure = _describe(error)
        if is_outage(error):  # a failed batch names its cause
            # Not the projection's fault: wait for the backend however long it
            # takes, never stop for an operator.
            retries.outages += 1
            if retries.outages == 1:
                logger.warning("projection %s waits for a backend: %s", name, failure)
            if retries.recorded != failure and self._record(RETRYING, failure):
                retries.recorded = failure
            self._stopping.wait(self._backoff(retries.outages))
            return projection
        retries.attempts += 1
        # The failing event's correlation id, once the batch is narrowed to it.
        correlation = {"correlation_id": getattr(error, "correlation_id", None)}
        logger.warning(
            "projection %s failed (attempt %d): %s",
            name,
            retries.attempts,
            failure,
            extra=correlation,
        )
        failed_at = getattr(error, "failed_at", None)
        if (
            retries.attempts >= engine.max_attempts
            and failed_at is not None
            and not projection.retry_forever
        ):
            if not self._stop_until_resumed(failure, failed_at, correlation):
                return None
            retries.reset()
            return self._load()
        # After a failure, events are applied one at a time for a batch's worth,
        # so the ones before the failing event get through and it is named.
        retries.one_at_a_time = projection.batch_size or engine.batch_size
        if self._record(RETRYING, failure):
            retries.recorded = failure
        self._stopping.wait(self._backoff(retries.attempts))
        return projection

    def _applied(self, applied: int, retries: _Retries) -> None:
        """A batch went through (``applied`` events, maybe none)."""
        self._troubles = 0
        if applied and retries.one_at_a_time:
            retries.one_at_a_time -= 1
        if retries.attempts or retries.outages:
            if retries.outages:
                logger.warning(
                    "projection %s carries on after %d outage retries",
                    self.projection_name,
                    retries.outages,
                )
            retries.attempts = retries.outages = 0
            retries.recorded = None
            self._record(RUNNING)

    def _idle(self) -> None:
        """Sleep until woken or ``idle_wait_seconds``, checking the lock meanwhile."""
        engine = self.engine
        deadline = time.monotonic() + engine.idle_wait_seconds
        while True:
            self._look_after()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            if self._wakeup.wait(min(remaining, engine.lock_check_seconds)):
                return

    def _stop_until_resumed(
        self, failure: str, failed_at: str, extra: Mapping[str, object]
    ) -> bool:
        """Record the failure, alert, and wait (holding the lock, so no other
        worker retries it) until an operator resumes; False when stopping."""
        engine, name = self.engine, self.projection_name
        self._record(FAILED, failure, failed_at)
        logger.error(
            "projection %s FAILED on event %s and waits for an operator: %s "
            "(spotlight projections resume|skip; README 'When a projection fails')",
            name,
            failed_at,
            failure,
            extra=extra,
        )
        while not self._stopping.wait(engine.failed_poll_seconds):
            self._look_after()
            if engine.state_of(name) == RESUMING:
                logger.warning("projection %s resumed by an operator", name)
                self._record(RUNNING)
                self._until_done(self._load_positions)
                return True
        return False

    def _load_positions(self) -> None:
        with self.engine.store.transaction() as session:
            self.engine.load_positions(session, self.projection_name)

    def _switch(self, old: Projection) -> Projection:
        fresh = self._load()

        def drop_old() -> None:
            with self.engine.store.transaction() as session:
                old.drop(session)
                self.engine.load_positions(session, self.projection_name)

        self._until_done(drop_old)
        return fresh
