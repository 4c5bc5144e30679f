"""The projection engine against real PostgreSQL, FerretDB and Redis."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import psycopg
import pytest

from adapters.embedded.bus import InMemoryMessageBus
from adapters.mongo.documents import MongoDocumentStore
from adapters.postgres.database import eventsourcing_environment
from adapters.postgres.listen import PostgresNotificationListener
from adapters.postgres.locks import AdvisoryWorkerLock
from adapters.postgres.views import PostgresRelationalStore
from projections.contracts import ProjectedEvent, ViewPorts
from projections.engine import PositionBoard, ProjectionEngine
from tests.support.notes import Note, Notebook, NotesDocuments, NotesTable
from tests.support.stores import PrefixedCache


@dataclass
class Stores:
    """One run's views: a PostgreSQL schema, a MongoDB database, a Redis prefix."""

    schema: str
    views: PostgresRelationalStore
    documents: MongoDocumentStore
    cache: PrefixedCache

    def snapshot(self) -> dict[str, object]:
        with self.views.transaction() as session:
            notes = session.fetchall("SELECT id, author, text, version FROM notes_v1")
            counts = session.fetchall("SELECT author, notes FROM note_counts_v1")
        documents = self.documents.find("notes_v1", sort=[("_id", 1)])
        cached = {
            key: json.loads(self.cache.get(key) or b"null")
            for key in self.cache.keys("note:v1:")
        }
        return {
            "notes": sorted(notes),
            "counts": sorted(counts),
            "documents": documents,
            "cache": cached,
        }


@pytest.fixture
def make_stores(
    postgres_url: str, mongo_url: str, redis_url: str
) -> Iterator[Callable[[], Stores]]:
    made: list[Stores] = []

    def make() -> Stores:
        schema = f"views_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            connection.execute(f'CREATE SCHEMA "{schema}"')
        stores = Stores(
            schema,
            PostgresRelationalStore(postgres_url, schema=schema),
            MongoDocumentStore(mongo_url, schema),
            PrefixedCache(redis_url, f"{schema}:"),
        )
        made.append(stores)
        return stores

    yield make
    for stores in made:
        stores.views.close()
        stores.documents.drop("notes_v1")
        stores.documents.close()
        keys = stores.cache.keys("")
        if keys:
            stores.cache.delete(*keys)
        stores.cache.close()
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{stores.schema}" CASCADE')


@pytest.fixture
def notebook(postgres_url: str, postgres_schema: str) -> Iterator[Notebook]:
    env = eventsourcing_environment(postgres_url, pool_size=2, max_overflow=2)
    env["POSTGRES_SCHEMA"] = postgres_schema
    app = Notebook(env=env)
    yield app
    app.close()


def engine_for(
    notebook: Notebook, stores: Stores, **options: object
) -> ProjectionEngine:
    ports = ViewPorts(stores.documents, stores.cache, InMemoryMessageBus())
    return ProjectionEngine(
        stores.views,
        {"notebook": notebook},
        [NotesTable, NotesDocuments],
        ports,
        **options,  # type: ignore[arg-type]
    )


def write_notes(notebook: Notebook, count: int) -> int:
    position = 0
    for i in range(count):
        note = Note(f"author-{i % 3}", f"note {i}")
        if i % 2:
            note.edit(f"note {i} edited")
        result = notebook.save_changes(note)
        position = result.position or position
    return position


class Killed(BaseException):
    """Stands for the process dying: nothing after it runs."""


def test_a_kill_between_effect_and_position_leaves_views_as_a_clean_run(
    notebook: Notebook, make_stores: Callable[[], Stores]
) -> None:
    make = make_stores
    write_notes(notebook, 30)  # 45 events
    clean, crashed = make(), make()

    engine_for(notebook, clean, batch_size=10).catch_up()

    batches = 0

    def die_on_third_batch(name: str, events: Sequence[ProjectedEvent]) -> None:
        nonlocal batches
        batches += 1
        if batches == 3:
            raise Killed

    dying = engine_for(
        notebook, crashed, batch_size=10, before_position_recorded=die_on_third_batch
    )
    with pytest.raises(Killed):
        dying.catch_up()

    # Check the restarted engine converges to exactly what the clean run built.
    restarted = engine_for(notebook, crashed, batch_size=10)
    restarted.catch_up()
    assert crashed.snapshot() == clean.snapshot()
    assert clean.snapshot()["counts"] == [
        ("author-0", 10),
        ("author-1", 10),
        ("author-2", 10),
    ]
    assert {s.name: s.lag for s in restarted.status()} == {
        "notes_documents": 0,
        "notes_table": 0,
    }


def test_two_workers_never_apply_the_same_projection(
    notebook: Notebook, make_stores: Callable[[], Stores], postgres_url: str
) -> None:
    make = make_stores
    stores = make()
    workers = [
        engine_for(
            notebook, stores, lock=AdvisoryWorkerLock(postgres_url, stores.schema)
        )
        for _ in range(2)
    ]
    for worker in workers:
        notebook.on_recorded(worker.wake)
        worker.start()
    try:
        position = write_notes(notebook, 12)
        # Whichever worker holds the lock applies; wait on the view's own tracking.
        deadline_lag = [
            w.wait_for("notebook", position, ["notes_table"], 5.0) for w in workers
        ]
        assert min(deadline_lag) == 0
        states = sorted(s.state for s in workers[0].status() if s.name == "notes_table")
        assert states in (["RUNNING"], ["STANDBY"])
    finally:
        for worker in workers:
            worker.stop()
    with stores.views.transaction() as session:
        counts = session.fetchall("SELECT author, notes FROM note_counts_v1")
    # Counts are not idempotent: a second applier would have doubled them.
    assert sorted(counts) == [("author-0", 4), ("author-1", 4), ("author-2", 4)]


def test_listen_notify_wakes_the_engine_and_tells_other_processes(
    notebook: Notebook, make_stores: Callable[[], Stores], postgres_url: str
) -> None:
    make = make_stores
    stores = make()
    # A long idle wait: only a notification can make the engine look in time.
    engine = engine_for(notebook, stores, idle_wait_seconds=60.0)
    channel = getattr(notebook.recorder, "channel_name", "")
    assert channel == "notebook_events"
    engine_listener = PostgresNotificationListener(
        postgres_url, [channel], engine.wake, None
    )
    # Another process's view of positions: a board with no engine at all.
    api_board = PositionBoard()
    api_listener = PostgresNotificationListener(
        postgres_url, [], lambda: None, api_board
    )
    engine.start()
    engine_listener.start()
    api_listener.start()
    try:
        assert engine_listener.listening.wait(5)
        assert api_listener.listening.wait(5)
        result = notebook.save_changes(Note("ada", "via notify"))
        assert result.position is not None
        lag = api_board.wait_for("notebook", result.position, ["notes_table"], 5.0)
        assert lag == 0
    finally:
        engine.stop()
        engine_listener.stop()
        api_listener.stop()


def test_two_appliers_racing_without_a_lock_still_apply_each_event_once(
    notebook: Notebook, make_stores: Callable[[], Stores]
) -> None:
    stores = make_stores()
    write_notes(notebook, 60)
    # Small batches and no shared worker lock: the tracked position's
    # compare-and-set is all that keeps the two apart.
    appliers = [engine_for(notebook, stores, batch_size=5) for _ in range(2)]
    errors: list[BaseException] = []

    def catch_up(engine: ProjectionEngine) -> None:
        try:
            engine.catch_up("notes_table")
        except BaseException as error:  # noqa: BLE001 - reported by the assert below
            errors.append(error)

    threads = [threading.Thread(target=catch_up, args=(e,)) for e in appliers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    with stores.views.transaction() as session:
        counts = session.fetchall("SELECT author, notes FROM note_counts_v1")
    assert sorted(counts) == [("author-0", 20), ("author-1", 20), ("author-2", 20)]
