"""The projection engine on real PostgreSQL when sessions end under it.

A PostgreSQL restart is stood in for without stopping the shared server: every
session of the test's own database is ended with ``pg_terminate_backend``, which is
what a restart does to the pool, the lock connections and the listener.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlsplit

import psycopg
import pytest

from adapters.embedded.bus import InMemoryMessageBus
from adapters.embedded.cache import InMemoryCache
from adapters.embedded.documents import InMemoryDocumentStore
from adapters.postgres.database import eventsourcing_environment, temporary_database
from adapters.postgres.listen import PostgresNotificationListener
from adapters.postgres.locks import AdvisoryWorkerLock, _lock_key
from adapters.postgres.views import PostgresRelationalStore
from ports.errors import is_outage
from ports.relational import SqlSession
from projections.contracts import ProjectedEvent, Projection, ViewPorts
from projections.engine import FAILED, RUNNING, ProjectionEngine, ProjectionStatus
from tests.support.engine_states import record_states
from tests.support.notes import Note, Notebook, NotesTable

NAME = "notes_table"


@dataclass
class Database:
    url: str
    admin_url: str
    notebook: Notebook
    stores: list[PostgresRelationalStore] = field(default_factory=list)

    @property
    def name(self) -> str:
        return urlsplit(self.url).path.lstrip("/")

    def store(self) -> PostgresRelationalStore:
        """A views store of its own (its own pool), as another process has."""
        store = PostgresRelationalStore(self.url, max_connections=4)
        self.stores.append(store)
        return store

    def end_every_session(self) -> int:
        """What a PostgreSQL restart does to this database's sessions."""
        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            rows = connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.name,),
            ).fetchall()
        return len(rows)

    def end_session(self, pid: int) -> None:
        """End a server session and wait (up to 5 s) until it is gone: only then
        are its advisory locks released."""
        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            row = connection.execute(
                "SELECT pg_terminate_backend(%s, 5000)", (pid,)
            ).fetchone()
        assert row is not None
        assert row[0] is True, f"session {pid} did not end within 5 s"

    def counts(self) -> int:
        with psycopg.connect(self.url) as connection:
            row = connection.execute("SELECT SUM(notes) FROM note_counts_v1").fetchone()
        return int(row[0]) if row and row[0] is not None else 0


@pytest.fixture
def database(postgres_url: str) -> Iterator[Database]:
    with temporary_database(postgres_url, "outage") as url:
        env = eventsourcing_environment(url, pool_size=2, max_overflow=2)
        notebook = Notebook(env=env)
        database = Database(url, postgres_url, notebook)
        try:
            yield database
        finally:
            notebook.close()
            for store in database.stores:
                store.close()


@pytest.fixture
def started() -> Iterator[list[ProjectionEngine]]:
    engines: list[ProjectionEngine] = []
    yield engines
    for engine in engines:
        engine.stop()


def engine_for(
    database: Database,
    projection: type[Projection] = NotesTable,
    **options: Any,
) -> ProjectionEngine:
    ports = ViewPorts(InMemoryDocumentStore(), InMemoryCache(), InMemoryMessageBus())
    engine = ProjectionEngine(
        database.store(),
        {"notebook": database.notebook},
        [projection],
        ports,
        **options,
    )
    database.notebook.on_recorded(engine.wake)
    return engine


def write(database: Database, text: str) -> int:
    position = database.notebook.save_changes(Note("ada", text)).position
    assert position is not None
    return position


def wait_until(check: Callable[[], bool], timeout_seconds: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def status_of(engine: ProjectionEngine) -> ProjectionStatus:
    """The status, asked again while the test's own reads meet dead pooled
    connections (the runner's reads have their own retries)."""
    for _ in range(20):
        try:
            return {s.name: s for s in engine.status()}[NAME]
        except Exception as error:
            if not is_outage(error):
                raise
            time.sleep(0.1)
    raise AssertionError("status unreadable")


def test_after_every_session_ended_the_engine_carries_on_by_itself(
    database: Database, started: list[ProjectionEngine]
) -> None:
    lock = AdvisoryWorkerLock(database.url)
    engine = engine_for(database, lock=lock)
    channel = getattr(database.notebook.recorder, "channel_name", "")
    listener = PostgresNotificationListener(database.url, [channel], engine.wake, None)
    started.append(engine)
    engine.start()
    listener.start()
    try:
        assert listener.listening.wait(5)
        before = write(database, "before the restart")
        assert engine.wait_for("notebook", before, [NAME], 10.0) == 0
        old_pid = lock.backend_pid(NAME)
        assert old_pid is not None

        # The pool's, the lock's and the listener's sessions all end at once.
        assert database.end_every_session() >= 3

        # Check the idle worker notices its lock went and takes it again itself.
        wait_until(lambda: lock.backend_pid(NAME) not in (None, old_pid))
        after = write(database, "after the restart")
        assert engine.wait_for("notebook", after, [NAME], 10.0) == 0
        wait_until(lambda: status_of(engine).state == RUNNING)
        runner = engine.runner(NAME)
        assert runner is not None
        assert runner.is_alive()
        assert status_of(engine).restarts == 0  # survived, no crash
        assert listener.listening.wait(10)
        assert database.counts() == 2
    finally:
        listener.stop()


class FlakyNotes(NotesTable):
    """``NotesTable`` whose next ``failures`` applies raise ``error()``."""

    failures: ClassVar[int] = 0
    error: ClassVar[Callable[[], Exception]] = lambda: RuntimeError("unset")

    def apply(self, session: SqlSession, events: Sequence[ProjectedEvent]) -> None:
        if FlakyNotes.failures > 0:
            FlakyNotes.failures -= 1
            raise FlakyNotes.error()
        super().apply(session, events)


def test_an_outage_is_retried_past_max_attempts_and_a_bug_is_not(
    database: Database, started: list[ProjectionEngine], monkeypatch: pytest.MonkeyPatch
) -> None:
    quick = {
        "max_attempts": 3,
        "retry_delay_seconds": 0.01,
        "max_retry_delay_seconds": 0.05,
        "failed_poll_seconds": 0.05,
    }
    monkeypatch.setattr(FlakyNotes, "failures", 20)
    monkeypatch.setattr(
        FlakyNotes,
        "error",
        staticmethod(lambda: psycopg.OperationalError("server closed the connection")),
    )
    engine = engine_for(database, FlakyNotes, **quick)
    states = record_states(engine)
    started.append(engine)
    engine.start()
    position = write(database, "through twenty outages")

    # Check 20 outages in a row (max_attempts is 3) end with the event applied.
    assert engine.wait_for("notebook", position, [NAME], 10.0) == 0
    assert FlakyNotes.failures == 0
    assert FAILED not in states
    wait_until(lambda: status_of(engine).state == RUNNING)

    # Check a bug on one event still stops for an operator after max_attempts.
    monkeypatch.setattr(FlakyNotes, "failures", 1000)
    monkeypatch.setattr(
        FlakyNotes, "error", staticmethod(lambda: ValueError("cannot store this"))
    )
    poison = write(database, "poison")
    wait_until(lambda: status_of(engine).state == FAILED)
    assert status_of(engine).failed_at == f"notebook:{poison}"


@dataclass(frozen=True)
class Applied:
    worker: str
    started: float
    ended: float


class Journal:
    """What each worker did, and when (``time.monotonic()``)."""

    def __init__(self) -> None:
        self.applied: list[Applied] = []
        self.fences: list[tuple[str, bool, float]] = []
        self._mutex = threading.Lock()

    def traced(self, worker: str) -> type[NotesTable]:
        journal = self

        class Traced(NotesTable):
            def apply(
                self, session: SqlSession, events: Sequence[ProjectedEvent]
            ) -> None:
                started = time.monotonic()
                time.sleep(0.02)  # widen the window two appliers could share
                super().apply(session, events)
                with journal._mutex:
                    journal.applied.append(Applied(worker, started, time.monotonic()))

        return Traced

    def by(self, worker: str) -> list[Applied]:
        with self._mutex:
            return [a for a in self.applied if a.worker == worker]


class TracedLock(AdvisoryWorkerLock):
    def __init__(self, url: str, worker: str, journal: Journal) -> None:
        super().__init__(url)
        self._worker = worker
        self._journal = journal

    def holds(self, name: str, session: SqlSession) -> bool:
        held = super().holds(name, session)
        with self._journal._mutex:
            self._journal.fences.append((self._worker, held, time.monotonic()))
        return held


def test_a_worker_that_lost_its_lock_never_applies_beside_the_new_holder(
    database: Database, started: list[ProjectionEngine]
) -> None:
    journal = Journal()
    lock_a = TracedLock(database.url, "A", journal)
    lock_b = TracedLock(database.url, "B", journal)
    # A checks its lock only when it applies (its idle check is an hour away),
    # so only the fence inside the batch can stop it.
    worker_a = engine_for(
        database,
        journal.traced("A"),
        lock=lock_a,
        lock_check_seconds=3600.0,
        standby_poll_seconds=0.1,
    )
    worker_b = engine_for(
        database, journal.traced("B"), lock=lock_b, standby_poll_seconds=0.1
    )
    started.extend([worker_a, worker_b])
    worker_a.start()
    wait_until(lambda: lock_a.backend_pid(NAME) is not None)
    worker_b.start()
    first = [write(database, f"a{i}") for i in range(3)][-1]
    assert worker_a.wait_for("notebook", first, [NAME], 10.0) == 0

    pid = lock_a.backend_pid(NAME)
    assert pid is not None
    lost_at = time.monotonic()
    database.end_session(pid)  # A's lock is gone; A does not know yet
    wait_until(lambda: lock_b.backend_pid(NAME) is not None)
    second = [write(database, f"b{i}") for i in range(5)][-1]

    # Check A applied nothing more, its attempt was refused, and the projection
    # goes on under B.
    wait_until(lambda: database.counts() == 8)
    assert not [a for a in journal.by("A") if a.ended > lost_at]
    wait_until(lambda: any(w == "A" and not held for w, held, _ in journal.fences))
    assert worker_b.wait_for("notebook", second, [NAME], 10.0) == 0
    b_applied = journal.by("B")
    assert b_applied
    assert all(
        a.ended <= b.started or b.ended <= a.started
        for a in journal.by("A")
        for b in b_applied
    )

    # Check A takes over once B stops.
    worker_b.stop()
    b_stopped_at = time.monotonic()
    third = [write(database, f"c{i}") for i in range(2)][-1]
    assert worker_a.wait_for("notebook", third, [NAME], 10.0) == 0
    assert [a for a in journal.by("A") if a.started > b_stopped_at]
    assert not [b for b in journal.by("B") if b.ended > b_stopped_at]
    # Counts are not idempotent: a batch applied twice would show.
    assert database.counts() == 10


def test_the_listener_survives_an_error_that_is_not_the_database_s(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []
    woken = threading.Event()

    def on_new_events() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a callback bug")
        woken.set()

    channel = getattr(database.notebook.recorder, "channel_name", "")
    listener = PostgresNotificationListener(
        database.url, [channel], on_new_events, None
    )
    listener.start()
    try:
        # The first call (right after LISTEN) raises; the thread listens again.
        assert woken.wait(10)
        assert listener.is_alive()
        assert listener.listening.wait(5)
        errors = [r for r in caplog.records if "a callback bug" in r.getMessage()]
        assert len(errors) == 1
        assert errors[0].exc_info is None
    finally:
        listener.stop()


def test_the_fence_sees_the_advisory_lock_whatever_its_key(database: Database) -> None:
    lock = AdvisoryWorkerLock(database.url, "fence")
    store = database.store()
    # Keys are signed: these names give one negative and one positive key.
    names = ["users", "communities"]
    keys = {_lock_key("fence", n) for n in names}
    assert min(keys) < 0 < max(keys)
    try:
        for name in names:
            assert lock.try_acquire(name)
            with store.transaction() as session:
                assert lock.holds(name, session) is True
            assert lock.is_alive(name) is True
        pid = lock.backend_pid("users")
        assert pid is not None

        database.end_session(pid)

        with store.transaction() as session:
            assert lock.holds("users", session) is False
            assert lock.holds("communities", session) is True
        assert lock.is_alive("users") is False
        assert lock.is_alive("communities") is True
    finally:
        for name in names:
            lock.release(name)
