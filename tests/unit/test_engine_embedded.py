"""The engine on the embedded stores: batches, positions, read-your-writes."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from adapters.embedded.bus import InMemoryMessageBus
from adapters.embedded.cache import InMemoryCache
from adapters.embedded.documents import InMemoryDocumentStore
from adapters.embedded.views import SqliteRelationalStore
from domain.base import acting_as
from projections.contracts import ViewPorts
from projections.engine import ProjectionEngine
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


def test_a_failing_projection_stops_alone_with_its_error(
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
    assert engine.join("notes_documents", 5.0)
    statuses = {s.name: s for s in engine.status()}
    assert statuses["notes_documents"].state == "FAILED"
    assert statuses["notes_documents"].has_worker is False  # it stopped
    assert statuses["notes_table"].has_worker is True
    assert statuses["notes_documents"].last_error == "RuntimeError: view is broken"
    assert statuses["notes_documents"].lag == 1
    assert statuses["notes_table"].lag == 0


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
