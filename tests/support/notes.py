"""A small application and projections used to test the engine on every store."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import ClassVar

from eventsourcing.domain import event

from commands.base import SpotlightApplication
from domain.base import SpotlightAggregate
from ports.relational import SqlSession
from projections.contracts import ProjectedEvent, Projection


class Note(SpotlightAggregate):
    @event("Written")
    def __init__(self, author: str, text: str) -> None:
        self.author = author
        self.text = text

    @event("Edited")
    def edit(self, text: str) -> None:
        self.text = text


class Notebook(SpotlightApplication):
    name = "notebook"


class NotesTable(Projection):
    """A PostgreSQL/SQLite view: one row per note, plus a count per author."""

    name = "notes_table"
    sources: ClassVar[tuple[str, ...]] = ("notebook",)

    def setup(self, session: SqlSession) -> None:
        session.execute(
            f"CREATE TABLE IF NOT EXISTS {self.names.table('notes')} ("
            "id TEXT PRIMARY KEY, author TEXT, text TEXT, version INTEGER)"
        )
        session.execute(
            f"CREATE TABLE IF NOT EXISTS {self.names.table('note_counts')} ("
            "author TEXT PRIMARY KEY, notes INTEGER NOT NULL)"
        )

    def apply(self, session: SqlSession, events: Sequence[ProjectedEvent]) -> None:
        notes, counts = self.names.table("notes"), self.names.table("note_counts")
        for item in events:
            if item.topic.endswith("Note.Written"):
                written = item.event
                author = getattr(written, "author", "")
                session.execute(
                    f"INSERT INTO {notes} (id, author, text, version) "
                    "VALUES (%s, %s, %s, %s)",
                    (str(item.originator_id), author, getattr(written, "text", ""), 1),
                )
                # Not idempotent on purpose: only a transaction makes it exact.
                session.execute(
                    f"INSERT INTO {counts} (author, notes) VALUES (%s, 1) "
                    "ON CONFLICT (author) DO UPDATE SET notes = "
                    f"{counts}.notes + 1",
                    (author,),
                )
            elif item.topic.endswith("Note.Edited"):
                session.execute(
                    f"UPDATE {notes} SET text = %s, version = %s WHERE id = %s",
                    (
                        getattr(item.event, "text", ""),
                        item.originator_version,
                        str(item.originator_id),
                    ),
                )

    def drop(self, session: SqlSession) -> None:
        session.execute(f"DROP TABLE IF EXISTS {self.names.table('notes')}")
        session.execute(f"DROP TABLE IF EXISTS {self.names.table('note_counts')}")


class NotesDocuments(Projection):
    """A MongoDB view and a Redis cache, written idempotently by version."""

    name = "notes_documents"
    sources: ClassVar[tuple[str, ...]] = ("notebook",)

    def setup(self, session: SqlSession) -> None:
        return None

    def apply(self, session: SqlSession, events: Sequence[ProjectedEvent]) -> None:
        collection = self.names.collection("notes")
        prefix = self.names.key_prefix("note")
        for item in events:
            note_id = str(item.originator_id)
            current = self.ports.documents.get(collection, note_id) or {}
            document = {k: v for k, v in current.items() if k not in {"_id"}}
            document.pop("_version", None)
            if item.topic.endswith("Note.Written"):
                document.update(
                    author=getattr(item.event, "author", ""),
                    text=getattr(item.event, "text", ""),
                )
            elif item.topic.endswith("Note.Edited"):
                document["text"] = getattr(item.event, "text", "")
            else:
                continue
            if self.ports.documents.upsert_if_newer(
                collection, note_id, item.originator_version, document
            ):
                self.ports.cache.set(
                    prefix + note_id,
                    json.dumps(
                        {"text": document["text"], "v": item.originator_version}
                    ).encode(),
                )

    def drop(self, session: SqlSession) -> None:
        self.ports.documents.drop(self.names.collection("notes"))
        prefix = self.names.key_prefix("note")
        keys = self.ports.cache.keys(prefix)
        if keys:
            self.ports.cache.delete(*keys)
