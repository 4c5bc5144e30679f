"""The runner survives outages, its own crashes and a lost lock (embedded stores).

The real-server twins (a PostgreSQL restart, two workers) are in
``tests/integration/test_engine_outages_real.py``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

from adapters.embedded.bus import InMemoryMessageBus
from adapters.embedded.cache import InMemoryCache
from adapters.embedded.documents import InMemoryDocumentStore
from adapters.embedded.views import SqliteRelationalStore
from adapters.postgres.listen import PostgresNotificationListener
from ports.errors import BackendUnavailableError
from ports.relational import Dialect, SqlSession
from projections.contracts import ProjectedEvent, ViewPorts
from projections.engine import (
    FAILED,
    RETRYING,
    RUNNING,
    STANDBY,
    ProcessLocalLock,
    ProjectionEngine,
    ProjectionStatus,
)
from projections.engine.runner import Runner
from tests.support.engine_states import record_states
from tests.support.notes import Note, Notebook, NotesTable


@pytest.fixture
def notebook() -> Iterator[Notebook]:
    app = Notebook(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield app
    app.close()


def make_engine(
    notebook: Notebook, store: Any = None, **options: Any
) -> ProjectionEngine:
    ports = ViewPorts(InMemoryDocumentStore(), InMemoryCache(), InMemoryMessageBus())
    quick: dict[str, Any] = {
        "retry_delay_seconds": 0.001,
        "max_retry_delay_seconds": 0.01,
        "failed_poll_seconds": 0.01,
        "lock_check_seconds": 0.01,
        "standby_poll_seconds": 0.01,
        "idle_wait_seconds": 0.05,
    }
    engine = ProjectionEngine(
        store or SqliteRelationalStore(None),
        {"notebook": notebook},
        [NotesTable],
        ports,
        **{**quick, **options},
    )
    notebook.on_recorded(engine.wake)
    return engine


@pytest.fixture
def started() -> Iterator[list[ProjectionEngine]]:
    engines: list[ProjectionEngine] = []
    yield engines
    for engine in engines:
        engine.stop()


def failing_apply(
    errors: Callable[[], BaseException | None],
) -> Callable[..., None]:
    """An ``apply`` for ``NotesTable`` that raises what ``errors()`` gives, until
    it gives None."""
    original = NotesTable.apply

    def apply(
        self: NotesTable, session: SqlSession, events: Sequence[ProjectedEvent]
    ) -> None:
        error = errors()
        if error is not None:
            raise error
        original(self, session, events)

    return apply


def first(count: int, make: Callable[[], BaseException]) -> Callable[[], Any]:
    calls = {"n": 0}

    def errors() -> BaseException | None:
        calls["n"] += 1
        return make() if calls["n"] <= count else None

    return errors


def status_of(engine: ProjectionEngine) -> ProjectionStatus:
    return {s.name: s for s in engine.status()}["notes_table"]


def wait_until(check: Callable[[], bool], timeout_seconds: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


@pytest.mark.parametrize(
    "outage",
    [
        lambda: BackendUnavailableError("mongodb: no servers"),
        lambda: psycopg.OperationalError("server closed the connection"),
        lambda: TimeoutError("timed out"),
    ],
    ids=["backend-unavailable", "driver-operational-error", "timeout"],
)
def test_an_outage_longer_than_max_attempts_is_waited_out_never_failed(
    notebook: Notebook,
    monkeypatch: pytest.MonkeyPatch,
    started: list[ProjectionEngine],
    outage: Callable[[], BaseException],
) -> None:
    engine = make_engine(notebook, max_attempts=3)
    states = record_states(engine)
    monkeypatch.setattr(NotesTable, "apply", failing_apply(first(20, outage)))
    written = notebook.save_changes(Note("ada", "through the outage"))
    assert written.position is not None
    started.append(engine)
    engine.start()

    # Check it gets through 20 outages in a row (max_attempts is 3) by itself.
    assert engine.wait_for("notebook", written.position, ["notes_table"], 5.0) == 0
    assert FAILED not in states
    assert RETRYING in states
    wait_until(lambda: status_of(engine).state == RUNNING)
    assert engine.failures() == []


def test_a_bug_on_one_event_still_stops_for_an_operator(
    notebook: Notebook, monkeypatch: pytest.MonkeyPatch, started: list[ProjectionEngine]
) -> None:
    engine = make_engine(notebook, max_attempts=3)
    monkeypatch.setattr(
        NotesTable,
        "apply",
        failing_apply(first(1000, lambda: ValueError("cannot store this note"))),
    )
    written = notebook.save_changes(Note("ada", "poison"))
    started.append(engine)
    engine.start()

    wait_until(lambda: status_of(engine).state == FAILED)
    assert status_of(engine).failed_at == f"notebook:{written.position}"


def test_the_back_off_doubles_up_to_its_cap(notebook: Notebook) -> None:
    engine = make_engine(notebook, retry_delay_seconds=0.2, max_retry_delay_seconds=5.0)
    runner = Runner(engine, "notes_table")
    delays = [runner._backoff(n) for n in (1, 2, 3, 5, 6, 50, 100_000)]
    assert delays == [0.2, 0.4, 0.8, 3.2, 5.0, 5.0, 5.0]


class StateWritesDown:
    """A relational store whose ``projection_state`` writes fail with the raw
    driver error a dead pooled connection raises, ``failures`` times."""

    def __init__(self, failures: int) -> None:
        self.inner = SqliteRelationalStore(None)
        self.dialect: Dialect = "sqlite"
        self.failures = failures

    @contextmanager
    def transaction(self) -> Iterator[SqlSession]:
        with self.inner.transaction() as session:
            yield _FailingSession(session, self)

    def close(self) -> None:
        self.inner.close()

    def ping(self) -> None:
        self.inner.ping()


class _FailingSession:
    def __init__(self, session: SqlSession, store: StateWritesDown) -> None:
        self._session = session
        self._store = store
        self.dialect = session.dialect

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        if sql.startswith("UPDATE projection_state") and self._store.failures > 0:
            self._store.failures -= 1
            raise psycopg.errors.AdminShutdown(
                "terminating connection due to administrator command"
            )
        self._session.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._session.executemany(sql, rows)

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._session.fetchall(sql, params)

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._session.fetchone(sql, params)


def test_state_writes_failing_with_a_raw_driver_error_do_not_stop_the_runner(
    notebook: Notebook, started: list[ProjectionEngine]
) -> None:
    store = StateWritesDown(failures=3)
    engine = make_engine(notebook, store)
    started.append(engine)
    engine.start()
    written = notebook.save_changes(Note("ada", "while state writes fail"))
    assert written.position is not None

    # Check the projection applies, the thread lives, and it did not crash.
    assert engine.wait_for("notebook", written.position, ["notes_table"], 5.0) == 0
    runner = engine.runner("notes_table")
    assert runner is not None
    assert runner.is_alive()
    # Check the state it could not record is recorded once the writes get through.
    wait_until(lambda: status_of(engine).state == RUNNING)
    assert store.failures == 0
    assert status_of(engine).restarts == 0
    store.close()


def test_a_crash_is_logged_in_one_line_counted_and_the_runner_starts_over(
    notebook: Notebook,
    started: list[ProjectionEngine],
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine = make_engine(notebook)
    original = engine.set_state
    crashes = {"left": 1}

    def broken(
        name: str, state: str, error: str | None = None, failed_at: str | None = None
    ) -> bool:
        if state == RUNNING and crashes["left"]:
            crashes["left"] -= 1
            raise RuntimeError("state table is broken\nDETAIL: Key (email)=(ada@x)")
        return original(name, state, error, failed_at)

    engine.set_state = broken  # type: ignore[method-assign]
    started.append(engine)
    engine.start()
    written = notebook.save_changes(Note("ada", "after the crash"))
    assert written.position is not None

    assert engine.wait_for("notebook", written.position, ["notes_table"], 5.0) == 0
    status = status_of(engine)
    assert status.restarts == 1
    assert status.last_crash == "RuntimeError: state table is broken"
    crashed = [r for r in caplog.records if "crashed" in r.getMessage()]
    assert len(crashed) == 1
    assert crashed[0].levelno == logging.ERROR
    assert crashed[0].exc_info is None  # no traceback
    assert "ada@x" not in crashed[0].getMessage()


class ThreadKilled(BaseException):
    """Not an ``Exception``: the runner's own loop lets it end the thread."""


def test_a_runner_thread_that_ended_is_replaced_by_the_engine(
    notebook: Notebook,
    monkeypatch: pytest.MonkeyPatch,
    started: list[ProjectionEngine],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(threading, "excepthook", lambda _: None)
    monkeypatch.setattr(NotesTable, "apply", failing_apply(first(1, ThreadKilled)))
    engine = make_engine(notebook)
    started.append(engine)
    engine.start()
    dead = engine.runner("notes_table")
    assert dead is not None
    written = notebook.save_changes(Note("ada", "kills the thread"))
    assert written.position is not None
    dead.join(5.0)
    assert not dead.is_alive()

    # Check ``status()`` notices, starts a new runner and reports it.
    status = status_of(engine)
    assert status.restarts == 1
    assert status.last_crash == "ThreadKilled"
    replaced = engine.runner("notes_table")
    assert replaced is not None
    assert replaced is not dead
    assert replaced.is_alive()
    assert engine.wait_for("notebook", written.position, ["notes_table"], 5.0) == 0
    assert any("had ended" in r.getMessage() for r in caplog.records)


class TakeableLock(ProcessLocalLock):
    """A lock another worker can take from this one, as a PostgreSQL restart
    does (the session lock vanishes and a standby takes it)."""

    def __init__(self) -> None:
        super().__init__()
        self.elsewhere: set[str] = set()

    def take_away(self, name: str) -> None:
        with self._mutex:
            self._held.discard(name)
            self.elsewhere.add(name)

    def give_back(self, name: str) -> None:
        with self._mutex:
            self.elsewhere.discard(name)

    def try_acquire(self, name: str) -> bool:
        with self._mutex:
            if name in self.elsewhere:
                return False
        return super().try_acquire(name)


def test_a_worker_whose_lock_was_taken_stops_applying_and_takes_it_back(
    notebook: Notebook,
    started: list[ProjectionEngine],
    caplog: pytest.LogCaptureFixture,
) -> None:
    lock = TakeableLock()
    # A long lock check: only the fence inside the batch can stop it.
    engine = make_engine(notebook, lock=lock, lock_check_seconds=60.0)
    started.append(engine)
    engine.start()
    before = notebook.save_changes(Note("ada", "under the lock"))
    assert before.position is not None
    assert engine.wait_for("notebook", before.position, ["notes_table"], 5.0) == 0

    lock.take_away("notes_table")
    fenced = notebook.save_changes(Note("ada", "while another worker holds it"))
    assert fenced.position is not None

    # Check the batch is refused, and the worker stands by.
    wait_until(lambda: status_of(engine).state == STANDBY)
    assert engine.wait_for("notebook", fenced.position, ["notes_table"], 0.2) == 1
    lost = [r for r in caplog.records if "lost its worker lock" in r.getMessage()]
    assert len(lost) == 1
    assert lost[0].levelno == logging.WARNING

    lock.give_back("notes_table")

    assert engine.wait_for("notebook", fenced.position, ["notes_table"], 5.0) == 0
    wait_until(lambda: status_of(engine).state == RUNNING)


def test_an_idle_worker_notices_its_lock_is_gone(
    notebook: Notebook, started: list[ProjectionEngine]
) -> None:
    lock = TakeableLock()
    engine = make_engine(notebook, lock=lock, idle_wait_seconds=60.0)
    started.append(engine)
    engine.start()
    wait_until(lambda: status_of(engine).state == RUNNING)

    # No event to fence: the idle check alone finds the lock gone.
    lock.take_away("notes_table")

    wait_until(lambda: status_of(engine).state == STANDBY)
    lock.give_back("notes_table")
    wait_until(lambda: status_of(engine).state == RUNNING)
    written = notebook.save_changes(Note("ada", "after taking it back"))
    assert written.position is not None
    assert engine.wait_for("notebook", written.position, ["notes_table"], 5.0) == 0


def test_a_standby_does_not_hide_a_projection_stopped_for_an_operator(
    notebook: Notebook, monkeypatch: pytest.MonkeyPatch, started: list[ProjectionEngine]
) -> None:
    engine = make_engine(notebook, max_attempts=2)
    monkeypatch.setattr(
        NotesTable,
        "apply",
        failing_apply(first(1000, lambda: ValueError("cannot store this note"))),
    )
    notebook.save_changes(Note("ada", "poison"))
    started.append(engine)
    engine.start()
    wait_until(lambda: status_of(engine).state == FAILED)

    # A second worker standing by records STANDBY, which leaves FAILED alone.
    assert engine.set_state("notes_table", STANDBY) is True

    assert status_of(engine).state == FAILED
    assert [f.name for f in engine.failures()] == ["notes_table"]


def test_the_listener_reconnects_with_a_capped_back_off() -> None:
    delays = [
        PostgresNotificationListener.reconnect_delay(n) for n in (1, 2, 3, 4, 5, 10_000)
    ]
    assert delays == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
