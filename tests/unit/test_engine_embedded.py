"""The engine on the embedded stores: batches, positions, read-your-writes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from adapters.embedded.bus import InMemoryMessageBus
from adapters.embedded.cache import InMemoryCache
from adapters.embedded.documents import InMemoryDocumentStore
from adapters.embedded.views import SqliteRelationalStore
from domain.base import acting_as
from ports.relational import SqlSession
from projections.contracts import ProjectedEvent, ViewPorts
from projections.engine import (
    FAILED,
    RUNNING,
    ProjectionEngine,
    ProjectionStatus,
    RecoveryRefusedError,
)
from projections.engine.runner import Runner
from tests.support.notes import Note, Notebook, NotesDocuments, NotesTable


@pytest.fixture
def notebook() -> Iterator[Notebook]:
    app = Notebook(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield app
    app.close()


@pytest.fixture
def engine(notebook: Notebook) -> Iterator[ProjectionEngine]:
    store = SqliteRelationalStore(None)
    ports = ViewPorts(InMemoryDocumentStore(), InMemoryCache(), InMemoryMessageBus())
    engine = ProjectionEngine(
        store, {"notebook": notebook}, [NotesTable, NotesDocuments], ports, batch_size=7
    )
    yield engine
    engine.stop()
    store.close()


def test_catch_up_applies_every_event_in_batches(
    notebook: Notebook, engine: ProjectionEngine
) -> None:
    with acting_as("user-1", "corr-1"):
        for i in range(20):
            note = Note("ada", f"note {i}")
            note.edit(f"note {i} edited")
            notebook.save(note)

    applied = engine.catch_up()

    # Check every event reached both projections, and the view is exact.
    assert applied == 80
    with engine.store.transaction() as session:
        assert session.fetchone("SELECT notes FROM note_counts_v1") == (20,)
        texts = session.fetchall("SELECT text FROM notes_v1 ORDER BY text")
    assert texts[0] == ("note 0 edited",)
    statuses = {s.name: s for s in engine.status()}
    assert statuses["notes_table"].lag == 0
    assert statuses["notes_table"].sources[0].position == 40


def test_events_carry_who_acted_and_the_correlation(notebook: Notebook) -> None:
    with acting_as("user-7", "corr-42"):
        note = Note("ada", "hello")
    result = notebook.save_changes(note)
    stored = notebook.recorder.select_notifications(start=None, limit=1)
    event = notebook.mapper.to_domain_event(stored[0])
    assert getattr(event, "actor_id", None) == "user-7"
    assert getattr(event, "correlation_id", None) == "corr-42"
    assert result.consistency_token == "notebook:1"


def test_a_query_waits_for_its_own_write_and_is_woken(
    notebook: Notebook, engine: ProjectionEngine
) -> None:
    notebook.on_recorded(engine.wake)
    engine.start()
    result = notebook.save_changes(Note("ada", "fresh"))
    assert result.position is not None

    lag = engine.wait_for("notebook", result.position, ["notes_table"], 2.0)

    assert lag == 0
    with engine.store.transaction() as session:
        assert session.fetchone("SELECT text FROM notes_v1") == ("fresh",)


def test_the_head_and_what_the_views_have_applied_are_asked_without_waiting(
    notebook: Notebook, engine: ProjectionEngine
) -> None:
    engine.setup()
    assert engine.head("notebook") == 0
    for i in range(3):
        notebook.save(Note("ada", f"note {i}"))
    assert engine.head("notebook") == 3

    # Check ``has_applied`` answers from the board, before and after a catch-up.
    assert not engine.has_applied("notebook", 3, ["notes_table"])
    engine.catch_up()
    assert engine.has_applied("notebook", 3, ["notes_table", "notes_documents"])
    assert not engine.has_applied("notebook", 4, ["notes_table"])
    # Check no projection named means nothing has been applied.
    assert not engine.has_applied("notebook", 1, [])


def test_wait_reports_the_lag_when_the_bound_passes(
    notebook: Notebook, engine: ProjectionEngine
) -> None:
    result = notebook.save_changes(Note("ada", "not projected"))
    assert result.position is not None
    assert engine.wait_for("notebook", result.position, ["notes_table"], 0.05) == 1


def test_a_failing_projection_stops_alone_on_the_event_and_waits(
    notebook: Notebook, engine: ProjectionEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine.max_attempts = 2
    engine.retry_delay_seconds = 0.01
    failed = threading.Event()

    def broken(*_: object) -> None:
        failed.set()
        raise RuntimeError("view is broken")

    monkeypatch.setattr(NotesDocuments, "apply", broken)
    notebook.on_recorded(engine.wake)
    engine.start()
    result = notebook.save_changes(Note("ada", "x"))
    assert result.position is not None

    # Check the healthy projection still catches up.
    assert engine.wait_for("notebook", result.position, ["notes_table"], 2.0) == 0
    assert failed.wait(2.0)
    statuses = wait_until_failed(engine, "notes_documents")
    failing = statuses["notes_documents"]
    # It keeps its worker lock, waiting for an operator, and names the event.
    assert failing.has_worker is True
    assert failing.failed_at == f"notebook:{result.position}"
    assert failing.last_error == (
        f"notebook:{result.position} tests.support.notes:Note.Written: "
        "RuntimeError: view is broken"
    )
    assert failing.lag == 1
    assert statuses["notes_table"].lag == 0
    assert [f.name for f in engine.failures()] == ["notes_documents"]


def wait_until_failed(
    engine: ProjectionEngine, name: str, timeout_seconds: float = 5.0
) -> dict[str, ProjectionStatus]:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        statuses = {s.name: s for s in engine.status()}
        if statuses[name].state == FAILED:
            return statuses
        time.sleep(0.02)
    raise AssertionError(f"{name} did not fail: {statuses[name]}")


def poison_on(text: str) -> Callable[..., None]:
    """An ``apply`` for ``NotesTable`` that cannot apply a note written with
    ``text`` (standing for a view bug on one event)."""
    original = NotesTable.apply

    def apply(
        self: NotesTable, session: SqlSession, events: Sequence[ProjectedEvent]
    ) -> None:
        for item in events:
            if getattr(item.event, "text", None) == text:
                raise ValueError("cannot store this note")
        original(self, session, events)

    return apply


def notes_in_view(engine: ProjectionEngine) -> list[str]:
    with engine.store.transaction() as session:
        return [r[0] for r in session.fetchall("SELECT text FROM notes_v1")]


def test_a_poison_event_mid_batch_is_named_and_the_events_before_it_applied(
    notebook: Notebook,
    engine: ProjectionEngine,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine.max_attempts = 3
    engine.retry_delay_seconds = 0.01
    engine.failed_poll_seconds = 0.02
    for i in range(3):
        notebook.save(Note("ada", f"before {i}"))
    with acting_as("ada", "corr-poison"):
        poison = notebook.save_changes(Note("ada", "poison"))
    for i in range(2):
        notebook.save(Note("ada", f"after {i}"))
    monkeypatch.setattr(NotesTable, "apply", poison_on("poison"))
    engine.start()

    failing = wait_until_failed(engine, "notes_table")["notes_table"]
    assert poison.position is not None

    # The batch of six was narrowed to one event at a time: the three before the
    # poison are in the view, the poison is named, nothing after it is applied.
    assert failing.failed_at == f"notebook:{poison.position}"
    assert sorted(notes_in_view(engine)) == ["before 0", "before 1", "before 2"]
    # The alert: one ERROR line naming the projection and the event, not the data.
    alerts = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(alerts) == 1
    message = alerts[0].getMessage()
    assert f"notes_table FAILED on event notebook:{poison.position}" in message
    assert "poison" not in message
    # Check the line carries the failing event's correlation id.
    assert getattr(alerts[0], "correlation_id", None) == "corr-poison"

    # Skipping another event than the one it stopped on is refused.
    with pytest.raises(RecoveryRefusedError, match="stopped on"):
        engine.skip("notes_table", f"notebook:{poison.position + 1}")

    engine.skip("notes_table", f"notebook:{poison.position}")

    assert engine.wait_for("notebook", poison.position + 2, ["notes_table"], 2.0) == 0
    assert sorted(notes_in_view(engine)) == [
        "after 0",
        "after 1",
        "before 0",
        "before 1",
        "before 2",
    ]
    assert engine.failures() == []
    assert {s.name: s for s in engine.status()}["notes_table"].failed_at is None


def test_a_failed_projection_resumes_once_its_cause_is_fixed(
    notebook: Notebook, engine: ProjectionEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine.max_attempts = 2
    engine.retry_delay_seconds = 0.01
    engine.failed_poll_seconds = 0.02
    monkeypatch.setattr(NotesTable, "apply", poison_on("tricky"))
    engine.start()
    tricky = notebook.save_changes(Note("ada", "tricky"))
    engine.wake()
    wait_until_failed(engine, "notes_table")
    assert tricky.position is not None
    with pytest.raises(RecoveryRefusedError, match="has not failed"):
        engine.resume("notes_documents")

    monkeypatch.undo()  # the fix is deployed
    assert engine.resume("notes_table") == f"notebook:{tricky.position}"

    assert engine.wait_for("notebook", tricky.position, ["notes_table"], 2.0) == 0
    assert notes_in_view(engine) == ["tricky"]
    assert {s.name: s for s in engine.status()}["notes_table"].state == RUNNING


def test_a_failure_outside_the_view_code_is_retried_not_failed(
    notebook: Notebook, engine: ProjectionEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Reading the log failing (a backend) names no event: it is retried, never
    # left FAILED for an operator.
    engine.max_attempts = 2
    engine.retry_delay_seconds = 0.01
    calls = {"count": 0}
    original = notebook.recorder.select_notifications

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls["count"] += 1
        if calls["count"] <= 4:
            raise ConnectionError("log unreachable")
        return original(*args, **kwargs)

    monkeypatch.setattr(notebook.recorder, "select_notifications", flaky)
    written = notebook.save_changes(Note("ada", "eventually"))
    engine.start()

    assert written.position is not None
    assert engine.wait_for("notebook", written.position, ["notes_table"], 5.0) == 0
    assert engine.failures() == []


def test_rebuild_switches_to_a_fresh_version_with_the_same_content(
    notebook: Notebook, engine: ProjectionEngine
) -> None:
    for i in range(10):
        notebook.save(Note("ada", f"n{i}"))
    engine.catch_up()
    progress: list[tuple[int, int]] = []

    version = engine.rebuild(
        "notes_table", lambda done, total: progress.append((done, total))
    )

    assert version == 2
    assert progress[-1] == (10, 10)
    with engine.store.transaction() as session:
        assert session.fetchone("SELECT notes FROM note_counts_v2") == (10,)
        old = session.fetchall("SELECT name FROM sqlite_master WHERE name = 'notes_v1'")
    assert old == []
    assert {s.name: s.version for s in engine.status()}["notes_table"] == 2


class Journal(Notebook):
    name = "journal"


class NotesPerSource(NotesTable):
    """One view fed by two applications' logs."""

    name = "notes_per_source"
    sources = ("notebook", "journal")


def test_a_projection_follows_several_sources_each_with_its_own_position(
    notebook: Notebook,
) -> None:
    journal = Journal(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    store = SqliteRelationalStore(None)
    ports = ViewPorts(InMemoryDocumentStore(), InMemoryCache(), InMemoryMessageBus())
    engine = ProjectionEngine(
        store, {"notebook": notebook, "journal": journal}, [NotesPerSource], ports
    )
    for i in range(3):
        notebook.save(Note("ada", f"notebook {i}"))
    for i in range(5):
        journal.save(Note("grace", f"journal {i}"))

    engine.catch_up()

    [status] = engine.status()
    assert {s.source: s.position for s in status.sources} == {
        "notebook": 3,
        "journal": 5,
    }
    with store.transaction() as session:
        counts = session.fetchall("SELECT author, notes FROM note_counts_v1")
    assert sorted(counts) == [("ada", 3), ("grace", 5)]
    journal.close()
    store.close()


def test_a_save_never_waits_for_the_projections(
    notebook: Notebook, engine: ProjectionEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Projections run in the API: a save wakes them (as the composition root wires
    # it), and only wakes them, even while one is stuck in its view's backend.
    notebook.on_recorded(engine.wake)
    stuck = threading.Event()
    release = threading.Event()
    original = NotesTable.apply

    def apply(
        self: NotesTable, session: SqlSession, events: Sequence[ProjectedEvent]
    ) -> None:
        stuck.set()
        release.wait(10)
        original(self, session, events)

    monkeypatch.setattr(NotesTable, "apply", apply)
    engine.start()
    first = notebook.save_changes(Note("ada", "first"))
    assert stuck.wait(5)
    try:
        # Check saves (each waking every runner) return while the projection is
        # stuck mid-batch.
        started = time.monotonic()
        for i in range(20):
            notebook.save_changes(Note("ada", f"more {i}"))
        assert time.monotonic() - started < 1.0
        assert first.position is not None
        assert engine.wait_for("notebook", first.position, ["notes_table"], 0.05) > 0
    finally:
        release.set()
    # Check the projection then catches up with every save.
    assert engine.wait_for("notebook", first.position + 20, ["notes_table"], 5.0) == 0
    assert len(notes_in_view(engine)) == 21


class Ledgerbook(Notebook):
    name = "ledgerbook"


class LedgerTable(NotesTable):
    name = "ledger_table"
    sources = ("ledgerbook",)


def test_new_events_wake_only_the_projections_that_read_their_log() -> None:
    notebook = Notebook(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    ledgerbook = Ledgerbook(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    store = SqliteRelationalStore(None)
    ports = ViewPorts(InMemoryDocumentStore(), InMemoryCache(), InMemoryMessageBus())
    engine = ProjectionEngine(
        store,
        {"notebook": notebook, "ledgerbook": ledgerbook},
        [NotesTable, LedgerTable],
        ports,
        idle_wait_seconds=60.0,  # only a wake makes a runner look
    )
    looks: dict[str, int] = {"notes_table": 0, "ledger_table": 0}
    runner_wake = Runner.wake

    def counted(runner: Runner) -> None:
        looks[runner.projection_name] += 1
        runner_wake(runner)

    try:
        engine.start()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(Runner, "wake", counted)
            engine.wake("notebook")
            engine.wake("notebook")
            engine.wake("ledgerbook")
            # Check each source woke its own projection only; no source, both.
            assert looks == {"notes_table": 2, "ledger_table": 1}
            engine.wake()
            assert looks == {"notes_table": 3, "ledger_table": 2}
        # Check a woken runner really looks: the note is in the view at once.
        position = notebook.save_changes(Note("ada", "woken")).position
        engine.wake("notebook")
        assert engine.wait_for("notebook", position or 0, ["notes_table"], 5.0) == 0
    finally:
        engine.stop()
        store.close()
