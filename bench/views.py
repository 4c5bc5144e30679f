"""The benchmark's views, written through our projection engine.

- ``PlatformTables``: PostgreSQL (or SQLite) tables of NPOs, offerings and
  enrollments with counters. A batch is folded in memory first (one row write per
  aggregate per batch), then written with one ``executemany`` per statement shape.
- ``PlatformDocuments``: MongoDB documents of offerings and roadmaps, written with
  version-guarded upserts (one ``bulk_write`` per collection per batch).
- ``PlatformCache``: Redis JSON values of the same, version-guarded by a Lua script
  and sent in one pipeline per batch.

The document and cache projections fall back to the plain ports (one guarded write
per aggregate) when the stores are not the real adapters, so they also run embedded.
"""

# SQL here names tables built from ``ViewNames`` and constants, never from input.
# ruff: noqa: S608

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from uuid import UUID

import pymongo.errors
from eventsourcing.utils import get_topic
from pymongo import UpdateOne

from adapters.mongo.documents import MongoDocumentStore
from adapters.redis.cache import RedisCache
from bench.domain import BenchPlatform, Enrollment, Npo, Offering
from ports.relational import Dialect, SqlSession
from projections.contracts import ProjectedEvent, Projection

# --- Tables ----------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A view table: ``columns`` in insert order, the id first and version last."""

    base: str
    columns: tuple[tuple[str, str], ...]
    updatable: tuple[str, ...]
    counters: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    def ddl(self, name: str, dialect: Dialect) -> str:
        def sql_type(kind: str) -> str:
            return "TEXT" if kind == "UUID" and dialect == "sqlite" else kind

        columns = ", ".join(f"{c} {sql_type(kind)}" for c, kind in self.columns)
        return f"CREATE TABLE IF NOT EXISTS {name} ({columns}, PRIMARY KEY (id))"

    def insert_sql(self, name: str) -> str:
        placeholders = ", ".join(["%s"] * len(self.columns))
        return f"INSERT INTO {name} ({', '.join(self.names)}) VALUES ({placeholders})"

    def update_sql(self, name: str) -> str:
        sets = ", ".join(f"{c} = COALESCE(%s, {c})" for c in self.updatable)
        return f"UPDATE {name} SET {sets}, version = %s WHERE id = %s"

    def count_sql(self, name: str) -> str:
        sets = ", ".join(f"{c} = {c} + %s" for c in self.counters)
        return f"UPDATE {name} SET {sets} WHERE id = %s"


NPOS = Table(
    "npos",
    (
        ("id", "UUID"),
        ("name", "TEXT"),
        ("country", "TEXT"),
        ("status", "TEXT"),
        ("offerings", "INTEGER"),
        ("version", "INTEGER"),
    ),
    updatable=("status",),
    counters=("offerings",),
)
OFFERINGS = Table(
    "offerings",
    (
        ("id", "UUID"),
        ("npo_id", "UUID"),
        ("title", "TEXT"),
        ("seats", "INTEGER"),
        ("status", "TEXT"),
        ("enrolled", "INTEGER"),
        ("completed", "INTEGER"),
        ("version", "INTEGER"),
    ),
    updatable=("status",),
    counters=("enrolled", "completed"),
)
ENROLLMENTS = Table(
    "enrollments",
    (
        ("id", "UUID"),
        ("offering_id", "UUID"),
        ("candidate_id", "UUID"),
        ("step", "INTEGER"),
        ("status", "TEXT"),
        ("version", "INTEGER"),
    ),
    updatable=("step", "status"),
)
TABLES = (NPOS, OFFERINGS, ENROLLMENTS)


class TableBatch:
    """One table's changes from one batch, folded so each row is written once."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.new: dict[UUID, dict[str, Any]] = {}
        self.changed: dict[UUID, dict[str, Any]] = {}
        self.counts: dict[UUID, dict[str, int]] = {}

    def insert(self, row_id: UUID, row: dict[str, Any]) -> None:
        self.new[row_id] = row

    def update(self, row_id: UUID, version: int, **fields: Any) -> None:
        row = self.new.get(row_id)
        if row is None:
            row = self.changed.setdefault(row_id, {})
        row.update(fields)
        row["version"] = version

    def count(self, row_id: UUID, column: str) -> None:
        row = self.new.get(row_id)
        if row is None:
            counts = self.counts.setdefault(row_id, {})
            counts[column] = counts.get(column, 0) + 1
        else:
            row[column] += 1

    def write(self, session: SqlSession, name: str) -> None:
        table = self.table
        if self.new:
            names = table.names
            session.executemany(
                table.insert_sql(name),
                [tuple(row[c] for c in names) for row in self.new.values()],
            )
        if self.changed:
            updatable = table.updatable
            session.executemany(
                table.update_sql(name),
                [
                    (*(row.get(c) for c in updatable), row["version"], row_id)
                    for row_id, row in self.changed.items()
                ],
            )
        if self.counts:
            counters = table.counters
            session.executemany(
                table.count_sql(name),
                [
                    (*(counts.get(c, 0) for c in counters), row_id)
                    for row_id, counts in self.counts.items()
                ],
            )


class TablesBatch:
    def __init__(self) -> None:
        self.npos = TableBatch(NPOS)
        self.offerings = TableBatch(OFFERINGS)
        self.enrollments = TableBatch(ENROLLMENTS)
        # Enrollments completed: their offering's id is in the view, not the event.
        self.completions: list[UUID] = []

    def write(self, session: SqlSession, name: Callable[[str], str]) -> None:
        # Inserts first (counters may target rows created in this batch), then the
        # updates and counters of rows created in earlier batches.
        for batch in (self.npos, self.offerings, self.enrollments):
            batch.write(session, name(batch.table.base))
        if not self.completions:
            return
        offerings, enrollments = name("offerings"), name("enrollments")
        if session.dialect == "postgres":
            session.execute(
                f"UPDATE {offerings} AS o SET completed = o.completed + c.n "
                f"FROM (SELECT offering_id, count(*) AS n FROM {enrollments} "
                "WHERE id = ANY(%s) GROUP BY offering_id) AS c "
                "WHERE o.id = c.offering_id",
                (self.completions,),
            )
        else:
            session.executemany(
                f"UPDATE {offerings} SET completed = completed + 1 WHERE id = "
                f"(SELECT offering_id FROM {enrollments} WHERE id = %s)",
                [(e,) for e in self.completions],
            )


TableHandler = Callable[[TablesBatch, ProjectedEvent], None]


def _npo_registered(b: TablesBatch, item: ProjectedEvent) -> None:
    e = item.event
    assert isinstance(e, Npo.Registered)
    b.npos.insert(
        item.originator_id,
        {
            "id": item.originator_id,
            "name": e.name,
            "country": e.country,
            "status": "registered",
            "offerings": 0,
            "version": item.originator_version,
        },
    )


def _offered(b: TablesBatch, item: ProjectedEvent) -> None:
    e = item.event
    assert isinstance(e, Offering.Offered)
    b.offerings.insert(
        item.originator_id,
        {
            "id": item.originator_id,
            "npo_id": e.npo_id,
            "title": e.title,
            "seats": e.seats,
            "status": "draft",
            "enrolled": 0,
            "completed": 0,
            "version": item.originator_version,
        },
    )
    b.npos.count(e.npo_id, "offerings")


def _enrolled(b: TablesBatch, item: ProjectedEvent) -> None:
    e = item.event
    assert isinstance(e, Enrollment.Enrolled)
    b.enrollments.insert(
        item.originator_id,
        {
            "id": item.originator_id,
            "offering_id": e.offering_id,
            "candidate_id": e.candidate_id,
            "step": 0,
            "status": "active",
            "version": item.originator_version,
        },
    )
    b.offerings.count(e.offering_id, "enrolled")


def _step_completed(b: TablesBatch, item: ProjectedEvent) -> None:
    e = item.event
    assert isinstance(e, Enrollment.StepCompleted)
    b.enrollments.update(item.originator_id, item.originator_version, step=e.step)


def _completed(b: TablesBatch, item: ProjectedEvent) -> None:
    b.enrollments.update(
        item.originator_id, item.originator_version, status="completed"
    )
    b.completions.append(item.originator_id)


def _status(part: Callable[[TablesBatch], TableBatch], status: str) -> TableHandler:
    """Events that only move a row to a new status: no need to decode them."""

    def handle(b: TablesBatch, item: ProjectedEvent) -> None:
        part(b).update(item.originator_id, item.originator_version, status=status)

    return handle


TABLE_HANDLERS: dict[str, TableHandler] = {
    get_topic(Npo.Registered): _npo_registered,
    get_topic(Npo.Verified): _status(lambda b: b.npos, "verified"),
    get_topic(Offering.Offered): _offered,
    get_topic(Offering.Published): _status(lambda b: b.offerings, "published"),
    get_topic(Offering.Closed): _status(lambda b: b.offerings, "closed"),
    get_topic(Enrollment.Enrolled): _enrolled,
    get_topic(Enrollment.StepCompleted): _step_completed,
    get_topic(Enrollment.Completed): _completed,
    get_topic(Enrollment.Withdrew): _status(lambda b: b.enrollments, "withdrawn"),
}


class PlatformTables(Projection):
    """NPOs, offerings and enrollments as SQL rows, with counters."""

    name = "bench_platform_tables"
    sources = (BenchPlatform.name,)

    def setup(self, session: SqlSession) -> None:
        for table in TABLES:
            session.execute(table.ddl(self.names.table(table.base), session.dialect))

    def apply(self, session: SqlSession, events: Sequence[ProjectedEvent]) -> None:
        batch = TablesBatch()
        handlers = TABLE_HANDLERS
        for item in events:
            handler = handlers.get(item.topic)
            if handler is not None:
                handler(batch, item)
        batch.write(session, self.names.table)

    def drop(self, session: SqlSession) -> None:
        for table in TABLES:
            session.execute(f"DROP TABLE IF EXISTS {self.names.table(table.base)}")


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

# Merges the fields in ARGV[2] into the JSON value at KEYS[1] unless that value's
# "_v" is already at version ARGV[1] or newer.
SET_IF_NEWER = """
local current = redis.call('GET', KEYS[1])
local doc = {}
if current then
  doc = cjson.decode(current)
  if tonumber(doc['_v']) >= tonumber(ARGV[1]) then return 0 end
end
for k, v in pairs(cjson.decode(ARGV[2])) do doc[k] = v end
doc['_v'] = tonumber(ARGV[1])
redis.call('SET', KEYS[1], cjson.encode(doc))
return 1
"""


class PlatformCache(Projection):
    """Offerings and roadmaps as JSON values in Redis, for fast reads."""

    name = "bench_platform_cache"
    sources = (BenchPlatform.name,)
    # Key namespace, so runs on a shared Redis never meet (see ``cache_projection``).
    namespace: ClassVar[str] = "bench"

    def setup(self, session: SqlSession) -> None:
        return None

    def prefix(self, kind: str) -> str:
        return self.names.key_prefix(f"{self.namespace}:{kind}")

    def apply(self, session: SqlSession, events: Sequence[ProjectedEvent]) -> None:
        changes = fold_documents(events)
        if not changes:
            return
        cache = self.ports.cache
        if isinstance(cache, RedisCache):
            script = cache.client.register_script(SET_IF_NEWER)
            with cache.client.pipeline(transaction=False) as pipe:
                for c in changes:
                    script(
                        keys=[self.prefix(c.kind) + c.doc_id],
                        args=[c.version, json.dumps(c.fields)],
                        client=pipe,
                    )
                pipe.execute()
            return
        for c in changes:  # any Cache, one key at a time
            key = self.prefix(c.kind) + c.doc_id
            stored = cache.get(key)
            doc: dict[str, Any] = json.loads(stored) if stored else {}
            if doc.get("_v", 0) >= c.version:
                continue
            doc.update(c.fields, _v=c.version)
            cache.set(key, json.dumps(doc).encode())

    def drop(self, session: SqlSession) -> None:
        cache = self.ports.cache
        for kind in (OFFERING, ROADMAP):
            keys = cache.keys(self.prefix(kind))
            for start in range(0, len(keys), 1000):
                cache.delete(*keys[start : start + 1000])


def cache_projection(namespace: str) -> type[PlatformCache]:
    """``PlatformCache`` writing under its own key namespace."""

    class NamespacedPlatformCache(PlatformCache):
        pass

    NamespacedPlatformCache.namespace = namespace
    return NamespacedPlatformCache
