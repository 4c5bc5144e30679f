"""Each backend built from ``Settings``: embedded, or the real one a URL selects.

The composition root (``adapters.bootstrap``) calls these; drivers are imported only
for a backend that is configured, so start-up stays fast and nothing connects at
import time. Each real backend gets its circuit breaker from the container's
``Breakers`` and its timeouts from the settings (``outage_answer_seconds``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from adapters.embedded.blobs import LocalDiskBlobStore
from adapters.embedded.bus import InMemoryMessageBus
from adapters.embedded.cache import (
    CacheReadsInProcess,
    CacheReadsInThreads,
    InMemoryCache,
)
from adapters.embedded.documents import InMemoryDocumentStore
from adapters.embedded.views import SqliteRelationalStore
from adapters.resilience import Breakers
from adapters.settings import Settings
from commands.base import SpotlightApplication
from ports.blobs import BlobStore
from ports.cache import AsyncCacheReads, Cache
from ports.documents import DocumentStore
from ports.messages import MessageBus
from ports.relational import RelationalStore
from projections.engine import ProcessLocalLock, WorkerLock


def event_store_environment(
    settings: Settings,
    application_types: tuple[type[SpotlightApplication], ...],
) -> dict[str, str]:
    kind = settings.event_store_kind
    if kind == "postgres":
        if not settings.postgres_url:
            raise ValueError("the postgres event store needs SPOTLIGHT_POSTGRES_URL")
        from adapters.postgres.database import eventsourcing_environment

        env = eventsourcing_environment(
            settings.postgres_url,
            settings.postgres_pool_size,
            settings.postgres_max_overflow,
            timeout_seconds=settings.postgres_timeout_seconds,
            max_waiting=settings.postgres_max_waiting,
        )
        if settings.postgres_schema:
            env["POSTGRES_SCHEMA"] = settings.postgres_schema
        return env
    if kind == "sqlite":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_LOCK_TIMEOUT": "10",
        }
        # eventsourcing's SQLite tables are not named per application: give each
        # application a file of its own (``IDENTITY_SQLITE_DBNAME``, …), or every log
        # would hold every context's events.
        for app_type in application_types:
            key = f"{app_type.name.upper()}_SQLITE_DBNAME"
            env[key] = str(settings.sqlite_events_path(app_type.name))
        env["SQLITE_DBNAME"] = str(settings.sqlite_events_path("other"))
        return env
    return {"PERSISTENCE_MODULE": "eventsourcing.popo"}


def breakers_for(settings: Settings) -> Breakers:
    return Breakers(
        cooldown_seconds=settings.breaker_cooldown_seconds,
        max_cooldown_seconds=settings.breaker_max_cooldown_seconds,
    )


def outage_answer_seconds(settings: Settings) -> dict[str, float]:
    """The longest a request waits on each backend while it is down (refusing
    connections, or accepting none within its connect timeout), before its breaker
    opens; with the default settings each is within
    ``adapters.resilience.OUTAGE_ANSWER_BOUND_SECONDS``."""
    from adapters.redis.cache import RETRIES
    from adapters.s3.blobs import ATTEMPTS

    return {
        # The wait for a pooled connection (connections are made in the background).
        "postgres": float(settings.postgres_timeout_seconds),
        # Server selection; pymongo does not retry a selection that timed out.
        "mongodb": settings.mongo_timeout_seconds,
        # Each attempt's connect timeout, retried at once.
        "redis": (1 + RETRIES) * settings.redis_timeout_seconds,
        # Each attempt's connect timeout, and botocore's backoff (under 1 s) between.
        "s3": ATTEMPTS * settings.s3_connect_timeout_seconds + (ATTEMPTS - 1) * 1.0,
    }


def relational_store(
    settings: Settings, breakers: Breakers | None = None
) -> RelationalStore:
    if settings.postgres_url:
        from adapters.postgres.views import PostgresRelationalStore

        return PostgresRelationalStore(
            settings.postgres_url,
            schema=settings.postgres_schema,
            breaker=breakers("postgres") if breakers is not None else None,
            timeout_seconds=settings.postgres_timeout_seconds,
            max_waiting=settings.postgres_max_waiting,
        )
    if settings.event_store_kind == "popo":
        return SqliteRelationalStore(None)  # in memory, like the events
    return SqliteRelationalStore(settings.views_sqlite_path)


def worker_lock(settings: Settings) -> WorkerLock:
    if settings.postgres_url:
        from adapters.postgres.locks import AdvisoryWorkerLock

        return AdvisoryWorkerLock(settings.postgres_url, settings.postgres_schema or "")
    if settings.event_store_kind == "popo":
        return ProcessLocalLock()  # nothing outlives or is shared beyond this process
    from adapters.embedded.locks import FileWorkerLock

    return FileWorkerLock(settings.data_dir / "locks")


def event_store_scope(settings: Settings) -> str:
    if settings.event_store_kind != "postgres" or not settings.postgres_url:
        return settings.event_store_kind
    url = urlsplit(settings.postgres_url)
    scope = f"{url.hostname}-{url.port or 5432}-{url.path.strip('/')}"
    return f"{scope}-{settings.postgres_schema}" if settings.postgres_schema else scope


def blob_store(settings: Settings, breakers: Breakers | None = None) -> BlobStore:
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
        breaker=breakers("s3") if breakers is not None else None,
        connect_timeout_seconds=settings.s3_connect_timeout_seconds,
        read_timeout_seconds=settings.s3_read_timeout_seconds,
    )


def document_store(
    settings: Settings, breakers: Breakers | None = None
) -> DocumentStore:
    if not settings.mongo_url:
        return InMemoryDocumentStore()
    from adapters.mongo.documents import MongoDocumentStore

    return MongoDocumentStore(
        settings.mongo_url,
        settings.mongo_database,
        timeout_ms=int(settings.mongo_timeout_seconds * 1000),
        breaker=breakers("mongodb") if breakers is not None else None,
    )


def cache_for(settings: Settings, breakers: Breakers | None = None) -> Cache:
    if not settings.redis_url:
        return InMemoryCache()
    from adapters.redis.cache import RedisCache

    return RedisCache(
        settings.redis_url,
        timeout_seconds=settings.redis_timeout_seconds,
        breaker=breakers("redis") if breakers is not None else None,
    )


def cache_reads(cache: Cache) -> AsyncCacheReads:
    """``cache``'s reads for the requests' event loop: Redis through its own
    asynchronous client; the in-process cache called in place; any other cache (a
    test's) in a worker thread."""
    if isinstance(cache, InMemoryCache):
        return CacheReadsInProcess(cache)
    from adapters.redis.cache import RedisCache

    if type(cache) is RedisCache:
        return cache.reads()
    return CacheReadsInThreads(cache)


def message_bus(settings: Settings) -> MessageBus:
    if not settings.kafka_bootstrap:
        return InMemoryMessageBus()
    from adapters.kafka.bus import KafkaMessageBus

    return KafkaMessageBus(settings.kafka_bootstrap)
