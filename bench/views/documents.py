"""The benchmark's MongoDB view: offerings and roadmaps as documents.

``PlatformDocuments`` writes version-guarded upserts, one ``bulk_write`` per
collection per batch; with a store that is not the real adapter it falls back to the
plain port (one guarded write per aggregate), so it also runs embedded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pymongo.errors
from eventsourcing.utils import get_topic
from pymongo import UpdateOne

from adapters.mongo.documents import MongoDocumentStore
from bench.domain import BenchPlatform, Enrollment, Offering
from ports.relational import SqlSession
from projections.contracts import ProjectedEvent, Projection

# --- Documents and cache entries -------------------------------------------------

OFFERING, ROADMAP = "offering", "roadmap"


@dataclass
class DocumentChange:
    """What one batch changes in one document.

    ``created`` when the aggregate's first event is in the batch: the document is
    new unless this batch is being applied again after a crash.
    """

    kind: str
    doc_id: str
    version: int
    fields: dict[str, Any]
    created: bool


def _fields(item: ProjectedEvent) -> tuple[str, dict[str, Any], bool] | None:
    """The document kind and fields an event sets (and whether it creates it)."""
    topic = item.topic
    if topic == _ENROLLED:
        e = item.event
        assert isinstance(e, Enrollment.Enrolled)
        fields = {
            "offering_id": str(e.offering_id),
            "candidate_id": str(e.candidate_id),
            "step": 0,
            "status": "active",
        }
        return ROADMAP, fields, True
    if topic == _STEP_COMPLETED:
        e_step = item.event
        assert isinstance(e_step, Enrollment.StepCompleted)
        return ROADMAP, {"step": e_step.step}, False
    if topic == _OFFERED:
        e_offered = item.event
        assert isinstance(e_offered, Offering.Offered)
        fields = {
            "npo_id": str(e_offered.npo_id),
            "title": e_offered.title,
            "seats": e_offered.seats,
            "status": "draft",
        }
        return OFFERING, fields, True
    status = _STATUSES.get(topic)
    if status is not None:
        return status[0], {"status": status[1]}, False
    return None


_ENROLLED = get_topic(Enrollment.Enrolled)
_STEP_COMPLETED = get_topic(Enrollment.StepCompleted)
_OFFERED = get_topic(Offering.Offered)
_STATUSES = {
    get_topic(Offering.Published): (OFFERING, "published"),
    get_topic(Offering.Closed): (OFFERING, "closed"),
    get_topic(Enrollment.Completed): (ROADMAP, "completed"),
    get_topic(Enrollment.Withdrew): (ROADMAP, "withdrawn"),
}


def fold_documents(events: Sequence[ProjectedEvent]) -> list[DocumentChange]:
    """One change per document per batch: later events' fields win."""
    changes: dict[tuple[str, str], DocumentChange] = {}
    for item in events:
        found = _fields(item)
        if found is None:
            continue
        kind, fields, created = found
        doc_id = str(item.originator_id)
        change = changes.get((kind, doc_id))
        if change is None:
            changes[kind, doc_id] = DocumentChange(
                kind, doc_id, item.originator_version, fields, created
            )
        else:
            change.fields.update(fields)
            change.version = item.originator_version
    return list(changes.values())


class PlatformDocuments(Projection):
    """Offerings and candidates' roadmaps as MongoDB documents."""

    name = "bench_platform_documents"
    sources = (BenchPlatform.name,)

    def setup(self, session: SqlSession) -> None:
        return None

    def apply(self, session: SqlSession, events: Sequence[ProjectedEvent]) -> None:
        by_kind: dict[str, list[DocumentChange]] = {}
        for change in fold_documents(events):
            by_kind.setdefault(change.kind, []).append(change)
        documents = self.ports.documents
        for kind, changes in by_kind.items():
            collection = self.names.collection(kind + "s")
            if isinstance(documents, BulkMongoDocuments):
                documents.write_changes(collection, changes)
                continue
            for change in changes:  # any DocumentStore, one document at a time
                current = documents.get(collection, change.doc_id) or {}
                merged = {
                    k: v for k, v in current.items() if k not in {"_id", "_version"}
                }
                merged.update(change.fields)
                documents.upsert_if_newer(
                    collection, change.doc_id, change.version, merged
                )

    def drop(self, session: SqlSession) -> None:
        for kind in (OFFERING, ROADMAP):
            self.ports.documents.drop(self.names.collection(kind + "s"))


class BulkMongoDocuments(MongoDocumentStore):
    """The MongoDB adapter plus batched, version-guarded writes.

    Shaped by FerretDB 1.x on PostgreSQL: an insert costs ~0.03 ms in
    ``insert_many`` but an update ~1.6 ms (one PostgreSQL transaction each), and an
    ``update`` command matching about 50 documents or more never answers (it
    exhausts FerretDB's connection pool), so updates go in small chunks.
    """

    update_chunk = 16

    def write_changes(self, collection: str, changes: Sequence[DocumentChange]) -> None:
        """Insert new documents in bulk; update the others unless already newer.

        A document "created" in this batch may exist if the batch is applied again
        after a crash: its insert fails on the duplicate ``_id`` and it is updated
        under the version guard instead, like any other.
        """
        coll = self._db[collection]
        existing = [c for c in changes if not c.created]
        created = [c for c in changes if c.created]
        if created:
            documents = [
                {"_id": c.doc_id, **c.fields, "_version": c.version} for c in created
            ]
            try:
                coll.insert_many(documents, ordered=False)
            except pymongo.errors.BulkWriteError as error:
                errors = error.details.get("writeErrors", [])
                if any(e.get("code") != DUPLICATE_KEY for e in errors):
                    raise
                existing.extend(created[e["index"]] for e in errors)
        for start in range(0, len(existing), self.update_chunk):
            coll.bulk_write(
                [
                    UpdateOne(
                        {"_id": c.doc_id, "_version": {"$lt": c.version}},
                        {"$set": {**c.fields, "_version": c.version}},
                    )
                    for c in existing[start : start + self.update_chunk]
                ],
                ordered=False,
            )


DUPLICATE_KEY = 11000
