"""Every view the deployment keeps, compared with a rebuild from the same log.

A second ``ProjectionEngine`` over the deployment's applications (same event store)
builds the views afresh: its relational store is a fresh PostgreSQL schema of the
same database, its documents a fresh MongoDB database, its cache another Redis
database and its message bus the in-memory one. Projections that only publish
integration events or send commands (process managers) are left out: rebuilding
them would act twice.

A view is compared once its live version and the rebuild have applied the same
positions of every source. Tables and collections are named ``<base>_v<version>``;
which ones a version has is learnt by asking the projection to drop that version
into a recording session and recording ports (nothing is dropped).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from pymongo import MongoClient

from adapters.bootstrap import build_container
from adapters.embedded.bus import InMemoryMessageBus
from adapters.embedded.cache import InMemoryCache
from adapters.embedded.documents import InMemoryDocumentStore
from adapters.mongo.documents import MongoDocumentStore
from adapters.postgres.views import PostgresRelationalStore
from adapters.redis.cache import RedisCache
from adapters.settings import Settings
from ports.relational import Dialect, RelationalStore, Row
from projections.contracts import Projection, ViewNames, ViewPorts
from projections.engine import ProjectionEngine, live_version
from projections.engine.tracking import tracked_position
from projections.integration_events import IntegrationEventsProjection


def rebuilt(projection: type[Projection]) -> bool:
    """Whether a rebuild may run ``projection``: not a publisher of integration
    events, not a process manager (they live in ``commands``)."""
    return not issubclass(
        projection, IntegrationEventsProjection
    ) and not projection.__module__.startswith("commands.")


# --- What a version of a projection stores --------------------------------------------


class _RecordingSession:
    """Records SQL; executes nothing."""

    dialect: Dialect = "postgres"

    def __init__(self) -> None:
        self.statements: list[str] = []

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.statements.append(sql)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.statements.append(sql)

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        self.statements.append(sql)
        return []

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        self.statements.append(sql)
        return None


class _RecordingDocuments(InMemoryDocumentStore):
    def __init__(self) -> None:
        super().__init__()
        self.dropped: list[str] = []

    def drop(self, collection: str) -> None:
        self.dropped.append(collection)


class _RecordingCache(InMemoryCache):
    def __init__(self) -> None:
        super().__init__()
        self.prefixes: list[str] = []

    def keys(self, prefix: str) -> list[str]:
        self.prefixes.append(prefix)
        return []


_DROP_TABLE = re.compile(r"DROP TABLE IF EXISTS (\w+)", re.IGNORECASE)


@dataclass(frozen=True)
class Storage:
    tables: tuple[str, ...]
    collections: tuple[str, ...]
    key_prefixes: tuple[str, ...]


def storage_of(projection: type[Projection], version: int) -> Storage:
    """The tables, collections and cache key prefixes of one version."""
    session = _RecordingSession()
    documents, cache = _RecordingDocuments(), _RecordingCache()
    ports = ViewPorts(documents, cache, InMemoryMessageBus())
    projection(ViewNames(projection.name, version), ports).drop(session)
    tables = tuple(
        m.group(1) for s in session.statements for m in _DROP_TABLE.finditer(s)
    )
    return Storage(tables, tuple(documents.dropped), tuple(cache.prefixes))


# --- The comparison -------------------------------------------------------------------


@dataclass
class Comparison:
    """One round: what differs (empty when every view equals its rebuild)."""

    differences: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)  # not at the same positions
    cache_entries_missing: int = 0  # in the rebuild, not (or no longer) cached live

    @property
    def equal(self) -> bool:
        return not self.differences and not self.pending


class ViewsRebuild:
    """The deployment's views and a rebuild of them, kept side by side."""

    def __init__(self, settings: Settings, rebuild_redis_url: str) -> None:
        assert settings.postgres_url
        assert settings.mongo_url
        assert settings.redis_url
        self.container = build_container(settings)
        self.projections = [
            p for p in self.container.engine.projection_types.values() if rebuilt(p)
        ]
        self.schema = f"rebuild_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(settings.postgres_url, autocommit=True) as connection:
            connection.execute(f'CREATE SCHEMA "{self.schema}"')
        self.live: RelationalStore = PostgresRelationalStore(settings.postgres_url)
        self.store: RelationalStore = PostgresRelationalStore(
            settings.postgres_url, schema=self.schema
        )
        self.mongo_database = f"{settings.mongo_database}_rebuild"
        self._live_database = settings.mongo_database
        self._mongo: MongoClient[dict[str, Any]] = MongoClient(
            settings.mongo_url, serverSelectionTimeoutMS=5000
        )
        self.live_cache = RedisCache(settings.redis_url)
        self.rebuilt_cache = RedisCache(rebuild_redis_url)
        self.rebuilt_cache.client.flushdb()
        ports = ViewPorts(
            MongoDocumentStore(settings.mongo_url, self.mongo_database),
            self.rebuilt_cache,
            InMemoryMessageBus(),
        )
        self.engine = ProjectionEngine(
            self.store,
            self.container.applications,
            self.projections,
            ports,
            namespace=self.schema,
        )

    @property
    def names(self) -> list[str]:
        return sorted(p.name for p in self.projections)

    def close(self) -> None:
        self._mongo.drop_database(self.mongo_database)
        self._mongo.close()
        self.live_cache.close()
        self.rebuilt_cache.close()
        self.store.close()
        self.live.close()
        self.container.close()

    def compare(self) -> Comparison:
        """Catch the rebuild up, then compare every view at equal positions."""
        result = Comparison()
        try:
            self.engine.catch_up()
        except Exception as error:  # noqa: BLE001 - reported as a difference
            result.differences.append(
                f"the rebuild failed: {type(error).__name__}: {error}"
            )
            return result
        for projection in self.projections:
            self._compare(projection, result)
        return result

    def _positions(
        self, store: RelationalStore, projection: type[Projection]
    ) -> tuple[int, dict[str, int]]:
        with store.transaction() as session:
            version = live_version(session, projection.name)
            return version, {
                source: tracked_position(session, projection.name, version, source)
                for source in projection.sources
            }

    def _compare(self, projection: type[Projection], result: Comparison) -> None:
        name = projection.name
        live_v, live_at = self._positions(self.live, projection)
        rebuilt_v, rebuilt_at = self._positions(self.store, projection)
        if live_at != rebuilt_at:
            result.pending.append(f"{name}: live at {live_at}, rebuild at {rebuilt_at}")
            return
        live, rebuilt_storage = (
            storage_of(projection, live_v),
            storage_of(projection, rebuilt_v),
        )
        found: list[str] = []
        for mine, theirs in zip(live.tables, rebuilt_storage.tables, strict=True):
            found += _differ(
                f"{name}: table {mine}",
                self._rows(self.live, mine),
                self._rows(self.store, theirs),
            )
        for mine, theirs in zip(
            live.collections, rebuilt_storage.collections, strict=True
        ):
            found += _differ(
                f"{name}: collection {mine}",
                self._documents(self._live_database, mine),
                self._documents(self.mongo_database, theirs),
            )
        for mine, theirs in zip(
            live.key_prefixes, rebuilt_storage.key_prefixes, strict=True
        ):
            found += self._cache(name, mine, theirs, result)
        if self._positions(self.live, projection)[1] != live_at:
            result.pending.append(f"{name}: moved on while being compared")
            return
        result.differences += found

    @staticmethod
    def _rows(store: RelationalStore, table: str) -> list[str]:
        with store.transaction() as session:
            rows = session.fetchall(f"SELECT * FROM {table}")
        return sorted(repr(row) for row in rows)

    def _documents(self, database: str, collection: str) -> list[str]:
        found = self._mongo[database][collection].find({}).sort("_id", 1)
        return [repr(sorted(document.items())) for document in found]

    def _cache(
        self, name: str, live_prefix: str, rebuilt_prefix: str, result: Comparison
    ) -> list[str]:
        """A cache may lack entries (Redis restarted) but hold none that differs."""
        live = _entries(self.live_cache, live_prefix)
        rebuilt = _entries(self.rebuilt_cache, rebuilt_prefix)
        result.cache_entries_missing += len(set(rebuilt) - set(live))
        wrong = sorted(k for k, v in live.items() if rebuilt.get(k) != v)
        if not wrong:
            return []
        first = wrong[0]
        return [
            f"{name}: {len(wrong)} cached entr(y/ies) under {live_prefix!r} differ "
            f"from the rebuild, e.g. {first!r}: live {live[first]!r}, "
            f"rebuilt {rebuilt.get(first)!r}"
        ]


def _entries(cache: RedisCache, prefix: str) -> dict[str, bytes | None]:
    return {key[len(prefix) :]: cache.get(key) for key in cache.keys(prefix)}


def _differ(what: str, live: list[str], rebuilt: list[str]) -> list[str]:
    if live == rebuilt:
        return []
    only_live = sorted(set(live) - set(rebuilt))
    only_rebuilt = sorted(set(rebuilt) - set(live))
    example = ""
    if only_live:
        example += f"; only live, e.g. {only_live[0][:300]}"
    if only_rebuilt:
        example += f"; only rebuilt, e.g. {only_rebuilt[0][:300]}"
    return [
        f"{what}: {len(live)} live vs {len(rebuilt)} rebuilt, "
        f"{len(only_live)} only live, {len(only_rebuilt)} only rebuilt{example}"
    ]


def describe(comparison: Comparison, limit: int = 8) -> str:
    lines: Mapping[str, list[str]] = {
        "differs": comparison.differences,
        "not at the same position": comparison.pending,
    }
    return "\n".join(
        f"  {kind}: {line}" for kind, found in lines.items() for line in found[:limit]
    )
