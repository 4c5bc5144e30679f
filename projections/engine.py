"""The projection engine: follows applications' logs and keeps views up to date.

For each projection it reads the logs of its source applications from the tracked
positions in batches (``select_notifications``), hands each batch to the projection
and records the new position *in the same SQL transaction* as the projection's SQL
changes. It then tells the ``PositionBoard``, which wakes queries waiting to read
their own writes.

A runner thread per projection catches up, then sleeps until woken: by a command
saved in this process, by PostgreSQL's LISTEN/NOTIFY (``adapters.postgres.listen``),
or by a poll timeout. A projection that raises is retried with back-off; after
``max_attempts`` it stops (only that projection), its error shown in ``status()``.
A worker lock makes sure two processes never apply the same projection at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID

from eventsourcing.application import Application

from ports.errors import BackendUnavailableError
from ports.relational import RelationalStore, SqlSession
from projections.contracts import ProjectedEvent, Projection, ViewNames, ViewPorts
from projections.diagnostics import error_summary

logger = logging.getLogger(__name__)

POSITIONS_CHANNEL = "spotlight_positions"


def positions_channel(namespace: str) -> str:
    """The NOTIFY channel for positions of one deployment sharing a database."""
    return f"{POSITIONS_CHANNEL}_{namespace}" if namespace else POSITIONS_CHANNEL


SCHEMA_LOCK_KEY = 0x5370_6F74  # any constant shared by every process of the service

TRACKING_SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS projection_tracking (
        projection TEXT NOT NULL,
        version INTEGER NOT NULL,
        source TEXT NOT NULL,
        position BIGINT NOT NULL,
        PRIMARY KEY (projection, version, source)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS projection_state (
        projection TEXT PRIMARY KEY,
        active_version INTEGER NOT NULL,
        building_version INTEGER,
        state TEXT NOT NULL,
        last_error TEXT,
        updated_at TEXT NOT NULL
    )
    """,
)

RUNNING = "RUNNING"
IDLE = "IDLE"
STANDBY = "STANDBY"  # another process holds this projection's worker lock
RETRYING = "RETRYING"
FAILED = "FAILED"
STOPPED = "STOPPED"
REBUILDING = "REBUILDING"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def serialise_schema_changes(session: SqlSession) -> None:
    """Hold a lock until commit so concurrent set-ups do not race on DDL.

    PostgreSQL's ``CREATE TABLE IF NOT EXISTS`` is not safe against a concurrent
    twin (it can fail on a unique index of the catalogue); SQLite has one writer.
    """
    if session.dialect == "postgres":
        session.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK_KEY,))


def ensure_tracking_schema(store: RelationalStore) -> None:
    with store.transaction() as session:
        serialise_schema_changes(session)
        for statement in TRACKING_SCHEMA:
            session.execute(statement)


def tracked_position(
    session: SqlSession,
    projection: str,
    version: int,
    source: str,
    *,
    lock: bool = False,
) -> int:
    """Where a projection's version has got to in a source's log.

    With ``lock`` (PostgreSQL), the row stays locked until commit: a second applier
    waits here and then reads the position the first one recorded, instead of
    applying the same batch again.
    """
    sql = (
        "SELECT position FROM projection_tracking "
        "WHERE projection = %s AND version = %s AND source = %s"
    )
    if lock and session.dialect == "postgres":
        sql += " FOR UPDATE"
    row = session.fetchone(sql, (projection, version, source))
    return int(row[0]) if row else 0


def start_tracking(
    session: SqlSession, projection: str, version: int, sources: Sequence[str]
) -> None:
    """Make the tracking rows exist, so appliers can lock them."""
    for source in sources:
        session.execute(
            "INSERT INTO projection_tracking (projection, version, source, position) "
            "VALUES (%s, %s, %s, 0) ON CONFLICT (projection, version, source) "
            "DO NOTHING",
            (projection, version, source),
        )


def record_position(
    session: SqlSession,
    projection: str,
    version: int,
    source: str,
    *,
    expected: int,
    position: int,
) -> None:
    """Move the tracked position from ``expected`` to ``position``, or refuse.

    The compare-and-set makes a batch apply at most once even if two appliers race
    (e.g. a CLI catch-up beside a worker): the loser's transaction rolls back.
    """
    row = session.fetchone(
        "UPDATE projection_tracking SET position = %s WHERE projection = %s "
        "AND version = %s AND source = %s AND position = %s RETURNING position",
        (position, projection, version, source, expected),
    )
    if row is None and expected == 0:
        # No tracking row yet (set-up not run by this engine): the first one wins.
        row = session.fetchone(
            "INSERT INTO projection_tracking (projection, version, source, position) "
            "VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (projection, version, source) DO NOTHING RETURNING position",
            (projection, version, source, position),
        )
    if row is None:
        raise ConcurrentApplierError(f"{projection} v{version} {source}@{expected}")


def active_version(session: SqlSession, projection: str) -> int:
    """The live version of a projection, created as version 1 on first use."""
    row = session.fetchone(
        "SELECT active_version FROM projection_state WHERE projection = %s",
        (projection,),
    )
    if row:
        return int(row[0])
    session.execute(
        "INSERT INTO projection_state (projection, active_version, state, updated_at) "
        "VALUES (%s, 1, %s, %s) ON CONFLICT (projection) DO NOTHING",
        (projection, IDLE, _now()),
    )
    return 1


# --- Read-your-writes ------------------------------------------------------------


class PositionBoard:
    """Where each projection has got to in each source; queries wait on it."""

    def __init__(self) -> None:
        self._positions: dict[tuple[str, str], int] = {}
        self._changed = threading.Condition()

    def advance(self, projection: str, source: str, position: int) -> None:
        with self._changed:
            key = (projection, source)
            if position > self._positions.get(key, 0):
                self._positions[key] = position
                self._changed.notify_all()

    def position(self, projection: str, source: str) -> int:
        with self._changed:
            return self._positions.get((projection, source), 0)

    def wait_for(
        self,
        source: str,
        position: int,
        projections: Iterable[str],
        timeout_seconds: float,
    ) -> int:
        """Wait until every named projection has reached ``position`` in ``source``.

        Returns 0 when they have, else the largest lag (in events) at the deadline.
        """
        names = list(projections)

        def lag() -> int:
            return max(
                (position - self._positions.get((n, source), 0) for n in names),
                default=0,
            )

        with self._changed:
            self._changed.wait_for(lambda: lag() <= 0, timeout=timeout_seconds)
            return max(lag(), 0)


# --- Worker locks ----------------------------------------------------------------


class WorkerLock(Protocol):
    """At most one holder per projection name across every process."""

    def try_acquire(self, name: str) -> bool: ...

    def release(self, name: str) -> None: ...


class ProcessLocalLock:
    """For the embedded store: one process owns the SQLite views file."""

    _held: set[str]

    def __init__(self) -> None:
        self._held = set()
        self._mutex = threading.Lock()

    def try_acquire(self, name: str) -> bool:
        with self._mutex:
            if name in self._held:
                return False
            self._held.add(name)
            return True

    def release(self, name: str) -> None:
        with self._mutex:
            self._held.discard(name)


# --- Status ----------------------------------------------------------------------


@dataclass(frozen=True)
class SourceStatus:
    source: str
    position: int
    head: int

    @property
    def lag(self) -> int:
        return max(0, self.head - self.position)


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    version: int
    state: str
    last_error: str | None
    sources: tuple[SourceStatus, ...]
    building_version: int | None = None
    # Whether some process holds the projection's worker lock right now; the
    # recorded state of a process that died stays behind, this does not.
    has_worker: bool = False

    @property
    def lag(self) -> int:
        return sum(s.lag for s in self.sources)


class ConcurrentApplierError(Exception):
    """Another applier recorded this batch first; ours was rolled back."""


class _VersionSwitchedError(Exception):
    """A rebuild made another version live; this batch belongs to the old one."""


# Called after a batch's effects and before its position is recorded (tests use it
# to stop a projection at the worst moment).
BatchHook = Callable[[str, Sequence[ProjectedEvent]], None]


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
        before_position_recorded: BatchHook | None = None,
        namespace: str = "",
    ) -> None:
        for projection in projections:
            missing = set(projection.sources) - set(applications)
            if missing:
                raise ValueError(f"{projection.name} reads unknown sources {missing}")
        self.store = store
        self.applications = dict(applications)
        self.projection_types = {p.name: p for p in projections}
        self.ports = ports
        self.board = board or PositionBoard()
        self.lock = lock or ProcessLocalLock()
        self.batch_size = batch_size
        self.idle_wait_seconds = idle_wait_seconds
        self.max_attempts = max_attempts
        self.retry_delay_seconds = retry_delay_seconds
        self.before_position_recorded = before_position_recorded
        # Deployments sharing a database (one schema each) must not hear each
        # other's positions.
        self.positions_channel = positions_channel(namespace)
        self._runners: dict[str, _Runner] = {}
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
                self._load_positions(session, name)
        self._schema_ready = True

    def start(self) -> None:
        """Run every projection in a background thread of this process."""
        self.setup()
        for name in self.projection_types:
            if name not in self._runners:
                runner = _Runner(self, name)
                self._runners[name] = runner
                runner.start()

    def stop(self, timeout_seconds: float = 10) -> None:
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

    def join(self, name: str, timeout_seconds: float) -> bool:
        """Wait for a projection's runner to end (stopped or failed)."""
        runner = self._runners.get(name)
        if runner is None:
            return True
        runner.join(timeout_seconds)
        return not runner.is_alive()

    def wake(self) -> None:
        """New events may be there: every idle runner looks now."""
        for runner in list(self._runners.values()):
            runner.wake()

    def wait_for(
        self,
        source: str,
        position: int,
        projections: Iterable[str],
        timeout_seconds: float,
    ) -> int:
        """Read-your-writes: 0 once reached, else the remaining lag."""
        names = [n for n in projections if source in self.projection_types[n].sources]
        return self.board.wait_for(source, position, names, timeout_seconds)

    # -- synchronous use (tests, the CLI, rebuilds) ---------------------------------

    def instance(self, name: str, version: int) -> Projection:
        return self.projection_types[name](ViewNames(name, version), self.ports)

    def catch_up(self, name: str | None = None) -> int:
        """Apply everything up to the heads now, in this thread; returns events."""
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

    def process_next_batch(self, projection: Projection) -> int:
        """Apply the next batch from each source; returns how many events it read."""
        total = 0
        for source in projection.sources:
            total += self._process_source_batch(projection, source)
        return total

    def _process_source_batch(self, projection: Projection, source: str) -> int:
        for _ in range(3):
            try:
                return self._apply_source_batch(projection, source)
            except ConcurrentApplierError:
                continue  # someone else applied that batch; read the next one
        return 0

    def _apply_source_batch(self, projection: Projection, source: str) -> int:
        app = self.applications[source]
        name, version = projection.names.projection, projection.names.version
        with self.store.transaction() as session:
            if active_version(session, name) != version and not self._is_building(
                session, name, version
            ):
                raise _VersionSwitchedError(name)
            start = tracked_position(session, name, version, source, lock=True)
            notifications = app.recorder.select_notifications(
                start=start,
                limit=projection.batch_size or self.batch_size,
                inclusive_of_start=False,
            )
            if not notifications:
                return 0
            events = [ProjectedEvent(source, n, app.mapper) for n in notifications]
            projection.apply(session, events)
            if self.before_position_recorded is not None:
                self.before_position_recorded(name, events)
            last = notifications[-1].id
            record_position(
                session, name, version, source, expected=start, position=last
            )
            if session.dialect == "postgres":
                # Delivered at commit: API processes without a runner learn of it.
                session.execute(
                    "SELECT pg_notify(%s, %s)",
                    (self.positions_channel, f"{name}|{version}|{source}|{last}"),
                )
        if self._is_live(name, version):
            self.board.advance(name, source, last)
        return len(notifications)

    def _is_building(self, session: SqlSession, name: str, version: int) -> bool:
        row = session.fetchone(
            "SELECT building_version FROM projection_state WHERE projection = %s",
            (name,),
        )
        return bool(row and row[0] == version)

    def _is_live(self, name: str, version: int) -> bool:
        runner = self._runners.get(name)
        return runner is None or runner.version == version

    def refresh_positions(self) -> None:
        """Read every projection's tracked positions (when another process runs
        them and cannot notify this one)."""
        try:
            with self.store.transaction() as session:
                for name in self.projection_types:
                    self._load_positions(session, name)
        except BackendUnavailableError:
            logger.warning("could not read the projections' positions")

    def _load_positions(self, session: SqlSession, name: str) -> None:
        version = active_version(session, name)
        for source in self.projection_types[name].sources:
            self.board.advance(
                name, source, tracked_position(session, name, version, source)
            )

    # -- status and state ---------------------------------------------------------

    def set_state(self, name: str, state: str, error: str | None = None) -> None:
        try:
            with self.store.transaction() as session:
                session.execute(
                    "UPDATE projection_state SET state = %s, last_error = %s, "
                    "updated_at = %s WHERE projection = %s",
                    (state, error, _now(), name),
                )
        except BackendUnavailableError:
            logger.warning("could not record state %s of projection %s", state, name)

    def status(self) -> list[ProjectionStatus]:
        self.setup()
        heads = {
            name: app.recorder.max_notification_id() or 0
            for name, app in self.applications.items()
        }
        result = []
        with self.store.transaction() as session:
            for name, projection in sorted(self.projection_types.items()):
                version = active_version(session, name)
                row = session.fetchone(
                    "SELECT state, last_error, building_version FROM projection_state "
                    "WHERE projection = %s",
                    (name,),
                )
                state, error, building = row if row else (IDLE, None, None)
                sources = tuple(
                    SourceStatus(
                        source,
                        tracked_position(session, name, version, source),
                        heads[source],
                    )
                    for source in projection.sources
                )
                result.append(
                    ProjectionStatus(
                        name,
                        version,
                        state,
                        error,
                        sources,
                        building,
                        has_worker=self._has_worker(name),
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
        self.setup()
        with self.store.transaction() as session:
            old_version = active_version(session, name)
            row = session.fetchone(
                "SELECT MAX(version) FROM projection_tracking WHERE projection = %s",
                (name,),
            )
            new_version = max(old_version, int(row[0] or 0) if row else 0) + 1
            session.execute(
                "UPDATE projection_state SET building_version = %s, state = %s, "
                "updated_at = %s WHERE projection = %s",
                (new_version, REBUILDING, _now(), name),
            )
            serialise_schema_changes(session)
            fresh = self.instance(name, new_version)
            fresh.drop(session)  # leftovers of an interrupted rebuild
            fresh.setup(session)
            start_tracking(session, name, new_version, fresh.sources)
        sources = self.projection_types[name].sources
        total = sum(
            self.applications[s].recorder.max_notification_id() or 0 for s in sources
        )
        done = 0
        while True:
            applied = self.process_next_batch(fresh)
            done += applied
            if on_progress is not None:
                on_progress(done, max(total, done))
            if not applied:
                break
        with self.store.transaction() as session:
            # Catch the last events and switch in one transaction.
            for source in sources:
                self._process_in_session(session, fresh, source)
            session.execute(
                "UPDATE projection_state SET active_version = %s, "
                "building_version = NULL, state = %s, last_error = NULL, "
                "updated_at = %s WHERE projection = %s",
                (new_version, IDLE, _now(), name),
            )
            if name not in self._runners:
                self.instance(name, old_version).drop(session)
        with self.store.transaction() as session:
            self._load_positions(session, name)
        runner = self._runners.get(name)
        if runner is not None:
            runner.wake()
        return new_version

    def _process_in_session(
        self, session: SqlSession, projection: Projection, source: str
    ) -> None:
        app = self.applications[source]
        name, version = projection.names.projection, projection.names.version
        while True:
            start = tracked_position(session, name, version, source)
            notifications = app.recorder.select_notifications(
                start=start,
                limit=projection.batch_size or self.batch_size,
                inclusive_of_start=False,
            )
            if not notifications:
                return
            projection.apply(
                session, [ProjectedEvent(source, n, app.mapper) for n in notifications]
            )
            record_position(
                session,
                name,
                version,
                source,
                expected=start,
                position=notifications[-1].id,
            )


class _Runner(threading.Thread):
    """Keeps one projection up to date in the background."""

    def __init__(self, engine: ProjectionEngine, name: str) -> None:
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
            self.engine._load_positions(session, self.projection_name)
        return fresh
