"""The composition root: the one place that turns ``Settings`` into objects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from adapters.embedded.blobs import LocalDiskBlobStore
from adapters.embedded.bus import InMemoryMessageBus
from adapters.embedded.cache import InMemoryCache
from adapters.embedded.documents import InMemoryDocumentStore
from adapters.settings import Settings
from projections.ports import BlobStore, Cache, DocumentStore, MessageBus, Pingable


@dataclass
class Container:
    """Everything the entry points need, built once per process."""

    settings: Settings
    blobs: BlobStore
    documents: DocumentStore
    cache: Cache
    bus: MessageBus
    event_store_env: dict[str, str]
    # Each configured backend by name, for the readiness probe.
    backends: dict[str, Pingable] = field(default_factory=dict)
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        while self._closers:
            self._closers.pop()()


def event_store_environment(settings: Settings) -> dict[str, str]:
    kind = settings.event_store_kind
    if kind == "postgres":
        if not settings.postgres_url:
            raise ValueError("the postgres event store needs SPOTLIGHT_POSTGRES_URL")
        from adapters.postgres.database import eventsourcing_environment

        return eventsourcing_environment(
            settings.postgres_url,
            settings.postgres_pool_size,
            settings.postgres_max_overflow,
        )
    if kind == "sqlite":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(settings.sqlite_path),
            "SQLITE_LOCK_TIMEOUT": "10",
        }
    return {"PERSISTENCE_MODULE": "eventsourcing.popo"}


def build_container(
    settings: Settings,
    *,
    blobs: BlobStore | None = None,
    documents: DocumentStore | None = None,
    cache: Cache | None = None,
    bus: MessageBus | None = None,
) -> Container:
    """Build every port from settings; keyword overrides are for tests."""
    container = Container(
        settings=settings,
        blobs=blobs or _blob_store(settings),
        documents=documents or _document_store(settings),
        cache=cache or _cache(settings),
        bus=bus or _message_bus(settings),
        event_store_env=event_store_environment(settings),
    )
    if settings.postgres_url:
        from adapters.postgres.database import PostgresHealth

        container.backends["postgres"] = PostgresHealth(settings.postgres_url)
    # Only real backends are probed and closed; embedded ones live in the process.
    real = {
        "s3": (container.blobs, settings.s3_endpoint),
        "mongodb": (container.documents, settings.mongo_url),
        "redis": (container.cache, settings.redis_url),
        "kafka": (container.bus, settings.kafka_bootstrap),
    }
    for name, (port, url) in real.items():
        if url:
            container.backends[name] = port
            close = getattr(port, "close", None)
            if callable(close):
                container._closers.append(close)
    return container


def _blob_store(settings: Settings) -> BlobStore:
    if not settings.s3_endpoint:
        return LocalDiskBlobStore(
            settings.blob_dir, settings.public_base_url, settings.signing_secret
        )
    from adapters.s3.blobs import S3BlobStore

    return S3BlobStore(
        settings.s3_endpoint,
        settings.s3_bucket,
        settings.s3_region,
        settings.s3_access_key,
        settings.s3_secret_key,
    )


def _document_store(settings: Settings) -> DocumentStore:
    if not settings.mongo_url:
        return InMemoryDocumentStore()
    from adapters.mongo.documents import MongoDocumentStore

    return MongoDocumentStore(settings.mongo_url, settings.mongo_database)


def _cache(settings: Settings) -> Cache:
    if not settings.redis_url:
        return InMemoryCache()
    from adapters.redis.cache import RedisCache

    return RedisCache(settings.redis_url)


def _message_bus(settings: Settings) -> MessageBus:
    if not settings.kafka_bootstrap:
        return InMemoryMessageBus()
    from adapters.kafka.bus import KafkaMessageBus

    return KafkaMessageBus(settings.kafka_bootstrap)
