"""``ProjectionEngine``: follows applications' logs and keeps views up to date.

It composes the engine's parts: the tracking tables (``tracking``), the apply loop and
one runner thread per projection (``runner``), the worker lock that keeps two
processes from applying the same projection (``locks``), the board queries wait on
to read their own writes (``positions``), rebuilds (``rebuild``) and what
``status()`` reports (``status``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from uuid import UUID

from eventsourcing.application import Application

from ports.errors import is_outage
from ports.relational import RelationalStore, SqlSession
from projections.contracts import Projection, ViewNames, ViewPorts
from projections.diagnostics import error_summary
from projections.engine.locks import ProcessLocalLock, WorkerLock
from projections.engine.positions import PositionBoard, positions_channel
from projections.engine.rebuild import rebuild_and_switch
from projections.engine.recovery import (
    FailedProjection,
    failed_projections,
    request_resume,
    skip_failed_event,
)
from projections.engine.runner import (
    BatchFailedError,
    BatchHook,
    Runner,
    apply_next_batch,
)
from projections.engine.status import (
    FAILED,
    IDLE,
    RESUMING,
    STANDBY,
    ProjectionStatus,
    SourceStatus,
)
from projections.engine.tracking import (
    active_version,
    ensure_tracking_schema,
    now,
    serialise_schema_changes,
    start_tracking,
    tracked_position,
)

logger = logging.getLogger(__name__)


class ProjectionEngine:
    def __init__(
        self,
        store: RelationalStore,
        applications: Mapping[str, Application[UUID]],
        projections: Sequence[type[Projection]],
        ports: ViewPorts,
        *,
        board: PositionBoard | None = None,
        lock: WorkerLock | None = None,
        batch_size: int = 1000,
        idle_wait_seconds: float = 1.0,
        max_attempts: int = 5,
        retry_delay_seconds: float = 0.2,
        max_retry_delay_seconds: float = 5.0,
        failed_poll_seconds: float = 2.0,
        lock_check_seconds: float = 1.0,
        standby_poll_seconds: float = 2.0,
        before_position_recorded: BatchHook | None = None,
        namespace: str = "",
    ) -> None:
        for projection in projections:
            missing = set(projection.sources) - set(applications)
            if missing:
                raise ValueError(f"{projection.name} reads unknown sources {missing}")
        self.store = store
        self.applications: dict[str, Application[UUID]] = dict(applications)
        self.projection_types: dict[str, type[Projection]] = {
            p.name: p for p in projections
        }
        self.ports = ports
        self.board: PositionBoard = board or PositionBoard()
        self.lock: WorkerLock = lock or ProcessLocalLock()
        self.batch_size = batch_size
        self.idle_wait_seconds = idle_wait_seconds
        self.max_attempts = max_attempts
        self.retry_delay_seconds = retry_delay_seconds
        # Retries back off exponentially up to this cap. An outage is retried for
        # as long as it lasts, so the cap is also the longest a projection lags
        # once its backend is back: about 5 s keeps that short, while one attempt
        # per projection every 5 s costs a recovering backend next to nothing.
        self.max_retry_delay_seconds = max_retry_delay_seconds
        self.failed_poll_seconds = failed_poll_seconds
        # How often an idle runner checks that its worker lock is still held (a
        # PostgreSQL restart takes it away); a busy one fences every batch.
        self.lock_check_seconds = lock_check_seconds
        # How often a standby worker tries to take the lock.
        self.standby_poll_seconds = standby_poll_seconds
        self.before_position_recorded = before_position_recorded
        # Deployments sharing a database (one schema each) must not hear each
        # other's positions.
        self.positions_channel = positions_channel(namespace)
        self._runners: dict[str, Runner] = {}
        self._runners_mutex = threading.Lock()
        self._schema_ready = False

    # -- lifecycle ----------------------------------------------------------------

    def setup(self) -> None:
        """Create the tracking tables and each projection's live version."""
        if self._schema_ready:
            return
        ensure_tracking_schema(self.store)
        for name in self.projection_types:
            with self.store.transaction() as session:
                serialise_schema_changes(session)
                version = active_version(session, name)
                self.instance(name, version).setup(session)
                start_tracking(
                    session, name, version, self.projection_types[name].sources
                )
                self.load_positions(session, name)
        self._schema_ready = True

    def start(self) -> None:
        """Run every projection in a background thread of this process."""
        self.setup()
        with self._runners_mutex:
            for name in self.projection_types:
                if name not in self._runners:
                    runner = Runner(self, name)
                    self._runners[name] = runner
                    runner.start()

    def stop(self, timeout_seconds: float = 10) -> None:
        with self._runners_mutex:
            runners = list(self._runners.values())
            self._runners.clear()
        for runner in runners:
            runner.stop()
        for runner in runners:
            runner.join(timeout_seconds)

    @property
    def running(self) -> bool:
        """Whether projections run in this process."""
        return bool(self._runners)

    def runner(self, name: str) -> Runner | None:
        """The thread running projection ``name`` in this process, if any."""
        return self._runners.get(name)

    def join(self, name: str, timeout_seconds: float) -> bool:
        """Wait for a projection's runner to end (stopped or failed)."""
        runner = self._runners.get(name)
        if runner is None:
            return True
        runner.join(timeout_seconds)
        return not runner.is_alive()

    def wake(self, source: str | None = None) -> None:
        """New events may be there (in ``source``'s log, or anywhere): every idle
        runner of a projection that reads them looks now. The others sleep on: a
        write of one context does not cost every other projection a look."""
        self.revive()
        for name, runner in list(self._runners.items()):
            if source is None or source in self.projection_types[name].sources:
                runner.wake()

    def revive(self) -> list[str]:
        """Start a new runner for each projection whose thread has ended while it
        should run; returns their names.

        A runner's own loop survives anything but the thread's end (e.g. an error
        that is not an ``Exception``); this is the second line of defence, asked
        on every ``wake()`` and ``status()``.
        """
        revived = []
        with self._runners_mutex:
            for name, runner in list(self._runners.items()):
                if runner.is_alive() or runner.stopping or runner.ident is None:
                    continue
                restarts = runner.restarts + 1
                logger.error(
                    "projection %s runner thread had ended; started a new one "
                    "(restart %d)",
                    name,
                    restarts,
                )
                fresh = Runner(
                    self,
                    name,
                    restarts=restarts,
                    last_crash=runner.last_crash,
                )
                self._runners[name] = fresh
                fresh.start()
                revived.append(name)
        return revived

    def wait_for(
        self,
        source: str,
        position: int,
        projections: Iterable[str],
        timeout_seconds: float,
    ) -> int:
        """Read-your-writes: 0 once reached, else the remaining lag."""
        names = self._reading(source, projections)
        return self.board.wait_for(source, position, names, timeout_seconds)

    def has_applied(
        self, source: str, position: int, projections: Iterable[str]
    ) -> bool:
        """Whether the named projections that read ``source`` (at least one) have
        all applied ``position``; asks the board only, never waits."""
        names = self._reading(source, projections)
        return bool(names) and self.board.wait_for(source, position, names, 0) == 0

    def head(self, source: str) -> int:
        """The latest position recorded in ``source``'s log (0 when empty): the
        recorder's maximum notification id, one lookup on its primary key."""
        return self.applications[source].recorder.max_notification_id() or 0

    def _reading(self, source: str, projections: Iterable[str]) -> list[str]:
        return [n for n in projections if source in self.projection_types[n].sources]

    # -- synchronous use (tests, the CLI, rebuilds) ---------------------------------

    def instance(self, name: str, version: int) -> Projection:
        return self.projection_types[name](ViewNames(name, version), self.ports)

    def catch_up(self, name: str | None = None) -> int:
        """Apply everything up to the heads now, in this thread; returns events.

        A projection's failure is raised as the projection raised it.
        """
        try:
            return self._catch_up(name)
        except BatchFailedError as failure:
            raise failure.cause from failure

    def _catch_up(self, name: str | None) -> int:
        self.setup()
        names = [name] if name else list(self.projection_types)
        total = 0
        for each in names:
            with self.store.transaction() as session:
                version = active_version(session, each)
            projection = self.instance(each, version)
            while True:
                applied = self.process_next_batch(projection)
                total += applied
                if not applied:
                    break
        return total

    def process_next_batch(
        self, projection: Projection, limit: int | None = None, *, fenced: bool = False
    ) -> int:
        """Apply the next batch from each source; returns how many events it read.

        ``fenced`` (a runner holding the worker lock): a batch applies only while
        the lock is still held, else ``LockLostError``.
        """
        return apply_next_batch(self, projection, limit, fenced=fenced)

    def is_live(self, name: str, version: int) -> bool:
        """Whether ``version`` is the one this process serves reads from."""
        runner = self._runners.get(name)
        return runner is None or runner.version == version

    def refresh_positions(self) -> None:
        """Read every projection's tracked positions (when another process runs
        them and cannot notify this one)."""
        try:
            with self.store.transaction() as session:
                for name in self.projection_types:
                    self.load_positions(session, name)
        except Exception as error:
            if not is_outage(error):
                raise
            logger.warning(
                "could not read the projections' positions: %s", error_summary(error)
            )

    def load_positions(self, session: SqlSession, name: str) -> None:
        """Tell the board where the live version of ``name`` has got to."""
        version = active_version(session, name)
        for source in self.projection_types[name].sources:
            self.board.advance(
                name, source, tracked_position(session, name, version, source)
            )

    # -- status and state ---------------------------------------------------------

    def set_state(
        self,
        name: str,
        state: str,
        error: str | None = None,
        failed_at: str | None = None,
    ) -> bool:
        """Record a projection's state; False when its database is out of reach
        (the runner goes on, and records its state again later).

        STANDBY never hides a projection stopped for an operator (FAILED, or
        RESUMING): the worker holding it still waits for them.
        """
        sql = (
            "UPDATE projection_state SET state = %s, last_error = %s, "
            "failed_at = %s, updated_at = %s WHERE projection = %s"
        )
        params: tuple[str | None, ...] = (state, error, failed_at, now(), name)
        if state == STANDBY:
            sql += " AND state NOT IN (%s, %s)"
            params = (*params, FAILED, RESUMING)
        try:
            with self.store.transaction() as session:
                session.execute(sql, params)
        except Exception as outage:
            if not is_outage(outage):
                raise
            # Debug only: the runner has said it waits for its database.
            logger.debug(
                "could not record state %s of projection %s: %s",
                state,
                name,
                error_summary(outage),
            )
            return False
        return True

    def state_of(self, name: str) -> str | None:
        """The recorded state of a projection (None before its first run, or while
        its database is out of reach)."""
        try:
            with self.store.transaction() as session:
                row = session.fetchone(
                    "SELECT state FROM projection_state WHERE projection = %s", (name,)
                )
        except Exception as outage:
            if not is_outage(outage):
                raise
            return None
        return str(row[0]) if row else None

    # -- recovery (README "When a projection fails") ------------------------------

    def failures(self) -> list[FailedProjection]:
        """The projections stopped on an event, waiting for an operator."""
        self.setup()
        with self.store.transaction() as session:
            return failed_projections(session)

    def resume(self, name: str) -> str:
        """Have a FAILED projection try its event again; returns the event."""
        self.setup()
        with self.store.transaction() as session:
            return request_resume(session, name)

    def skip(self, name: str, failed_at: str) -> None:
        """Pass over the event a FAILED projection stopped on, and resume it."""
        self.setup()
        with self.store.transaction() as session:
            skip_failed_event(session, name, failed_at)

    def status(self, *, probe_workers: bool = True) -> list[ProjectionStatus]:
        """Each projection's state and positions.

        ``probe_workers`` asks whether some process holds each worker lock, which
        costs a connection per projection where no runner of this process runs it;
        frequent callers (readiness) leave it out.
        """
        self.setup()
        self.revive()
        heads = {
            name: app.recorder.max_notification_id() or 0
            for name, app in self.applications.items()
        }
        result = []
        with self.store.transaction() as session:
            for name, projection in sorted(self.projection_types.items()):
                version = active_version(session, name)
                row = session.fetchone(
                    "SELECT state, last_error, building_version, failed_at "
                    "FROM projection_state WHERE projection = %s",
                    (name,),
                )
                state, error, building, failed_at = (
                    row if row else (IDLE, None, None, None)
                )
                sources = tuple(
                    SourceStatus(
                        source,
                        tracked_position(session, name, version, source),
                        heads[source],
                    )
                    for source in projection.sources
                )
                runner = self._runners.get(name)
                result.append(
                    ProjectionStatus(
                        name,
                        version,
                        state,
                        error,
                        sources,
                        building,
                        has_worker=self._has_worker(name) if probe_workers else None,
                        failed_at=failed_at,
                        restarts=runner.restarts if runner else 0,
                        last_crash=runner.last_crash if runner else None,
                    )
                )
        return result

    def _has_worker(self, name: str) -> bool:
        runner = self._runners.get(name)
        if runner is not None:
            return runner.is_alive()
        # Probe the lock: taking it means nobody holds it.
        if self.lock.try_acquire(name):
            self.lock.release(name)
            return False
        return True

    # -- rebuilds -----------------------------------------------------------------

    def rebuild(
        self,
        name: str,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """Build a fresh version beside the live one, then switch to it.

        ``on_progress(done, total)`` is called after each batch. Returns the new
        version. The old version is dropped by whichever runner notices the switch
        (or here, when no runner of this process runs it).
        """
        return rebuild_and_switch(self, name, on_progress)
