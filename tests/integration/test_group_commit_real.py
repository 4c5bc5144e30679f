"""Group commit on real PostgreSQL: a batch holding a stale command.

Two application instances on one schema stand for two API processes. Process A's
saves queue behind a held transaction and then commit together; one of them edits
a note that process B changed after A loaded it. The batch is refused for that one
stale version: every other save is recorded once, the stale command decides again
on B's version, and a projection sees each event exactly once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from functools import partial
from uuid import UUID

import pytest

from adapters.embedded.bus import InMemoryMessageBus
from adapters.embedded.cache import InMemoryCache
from adapters.embedded.documents import InMemoryDocumentStore
from adapters.postgres.database import eventsourcing_environment
from adapters.postgres.views import PostgresRelationalStore
from projections.contracts import ViewPorts
from projections.engine import ProjectionEngine
from tests.support.concurrency import HeldFirstInsert, in_threads, when
from tests.support.notes import Note, Notebook, NotesTable

WRITERS = 10


@pytest.fixture
def processes(postgres_url: str, postgres_schema: str) -> Iterator[list[Notebook]]:
    env = eventsourcing_environment(postgres_url, pool_size=4, max_overflow=4)
    env["POSTGRES_SCHEMA"] = postgres_schema
    made = [Notebook(env=env) for _ in range(2)]
    yield made
    for app in made:
        app.close()


def edit(app: Notebook, note_id: UUID, text: str, loaded: threading.Event) -> object:
    def decide() -> list[Note]:
        note: Note = app.repository.get(note_id)
        note.edit(f"{note.text}+{text}")
        loaded.set()
        return [note]

    return app.execute(decide)


def test_a_stale_command_in_a_batch_fails_alone_and_decides_again(
    processes: list[Notebook], postgres_url: str, postgres_schema: str
) -> None:
    process_a, process_b = processes
    shared = Note("author-x", "x")
    process_a.save(shared)
    held = HeldFirstInsert(process_a.group_commit._insert)
    process_a.group_commit._insert = held
    first = threading.Thread(
        target=process_a.save_changes, args=(Note("author-first", "first"),)
    )
    first.start()
    assert held.entered.wait(10)

    # While A's first transaction is held: ten new notes and an edit queue in A.
    loaded = threading.Event()
    calls: list[Callable[[], object]] = [
        partial(process_a.save_changes, Note(f"author-{i}", f"note {i}"))
        for i in range(WRITERS)
    ]
    calls.append(partial(edit, process_a, shared.id, "a", loaded))
    results: list[object] = []
    runner = threading.Thread(target=lambda: results.extend(in_threads(calls)))
    runner.start()
    when(lambda: process_a.group_commit.queued() == WRITERS + 1)
    assert loaded.is_set()
    # Process B edits the shared note after A decided on it: A's edit is stale.
    edit(process_b, shared.id, "b", threading.Event())
    held.release.set()
    runner.join(30)
    first.join(30)

    # Check every command succeeded, the stale one on B's version.
    assert not [r for r in results if isinstance(r, Exception)], results
    note: Note = process_b.repository.get(shared.id)
    assert (note.text, note.version) == ("x+b+a", 3)
    # Check the eleven were tried in one transaction, then each alone, then the
    # stale edit once more after deciding again.
    assert held.transactions[:2] == [1, WRITERS + 1]
    assert held.transactions[2:] == [1] * (WRITERS + 1) + [1]
    # Check the log holds every event once, in order (a refused transaction
    # leaves a gap in the ids, as any rolled-back insert does).
    log = process_a.recorder.select_notifications(start=1, limit=100)
    assert [n.id for n in log] == sorted({n.id for n in log})
    assert len(log) == 1 + 1 + WRITERS + 2
    assert len({(n.originator_id, n.originator_version) for n in log}) == len(log)

    # Check a projection applies each event exactly once.
    views = PostgresRelationalStore(postgres_url, schema=postgres_schema)
    try:
        ports = ViewPorts(
            InMemoryDocumentStore(), InMemoryCache(), InMemoryMessageBus()
        )
        ProjectionEngine(views, {"notebook": process_a}, [NotesTable], ports).catch_up()
        with views.transaction() as session:
            counts: dict[str, int] = dict(
                session.fetchall("SELECT author, notes FROM note_counts_v1")
            )
            texts: dict[str, str] = dict(
                session.fetchall("SELECT id, text FROM notes_v1")
            )
    finally:
        views.close()
    assert sum(counts.values()) == WRITERS + 2
    assert set(counts.values()) == {1}
    assert texts[str(shared.id)] == "x+b+a"
