"""The event store through eventsourcing's POPO, SQLite and PostgreSQL modules."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from adapters.postgres.database import eventsourcing_environment


class Note(Aggregate):
    @event("Written")
    def __init__(self, text: str) -> None:
        self.text = text

    @event("Edited")
    def edit(self, text: str) -> None:
        self.text = text


class Notebook(Application[UUID]):
    name = "notebook"


class EventStoreContract(ABC):
    @abstractmethod
    @pytest.fixture
    def env(self) -> dict[str, str]: ...

    @pytest.fixture
    def app(self, env: dict[str, str]) -> Iterator[Notebook]:
        app = Notebook(env=env)
        yield app
        app.close()

    def test_saved_aggregate_is_rebuilt_from_its_events(self, app: Notebook) -> None:
        note = Note("first")
        note.edit("second")
        app.save(note)

        copy: Note = app.repository.get(note.id)
        assert isinstance(copy, Note)
        assert copy.text == "second"
        assert copy.version == 2

    def test_notifications_are_numbered_in_order(self, app: Notebook) -> None:
        notes = [Note(f"n{i}") for i in range(3)]
        for note in notes:
            app.save(note)
        notifications = app.recorder.select_notifications(start=None, limit=10)
        assert [n.originator_id for n in notifications] == [n.id for n in notes]
        ids = [n.id for n in notifications]
        assert ids == sorted(ids)
        assert app.recorder.max_notification_id() == ids[-1]

    def test_a_stale_write_is_refused(self, app: Notebook) -> None:
        note = Note("v1")
        app.save(note)
        first: Note = app.repository.get(note.id)
        second: Note = app.repository.get(note.id)
        assert isinstance(first, Note)
        assert isinstance(second, Note)
        first.edit("from first")
        app.save(first)
        second.edit("from second")
        with pytest.raises(IntegrityError):
            app.save(second)
        stored: Note = app.repository.get(note.id)
        assert isinstance(stored, Note)
        assert stored.text == "from first"


class TestPopoEventStore(EventStoreContract):
    @pytest.fixture
    def env(self) -> dict[str, str]:
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}


class TestSqliteEventStore(EventStoreContract):
    @pytest.fixture
    def env(self, tmp_path: Path) -> dict[str, str]:
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(tmp_path / "events.sqlite"),
        }


class TestPostgresEventStore(EventStoreContract):
    @pytest.fixture
    def env(self, postgres_url: str, postgres_schema: str) -> dict[str, str]:
        env = eventsourcing_environment(postgres_url, pool_size=2, max_overflow=2)
        env["POSTGRES_SCHEMA"] = postgres_schema
        return env
