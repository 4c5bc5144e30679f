"""PostgreSQL connection handling shared by the real adapters: the environment of
the event store, what counts as the server being out of reach, and the circuit
breaker around every connection the event store takes."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any
from urllib.parse import unquote, urlparse, urlsplit, urlunsplit

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout, TooManyRequests

from adapters.resilience import CircuitBreaker
from ports.errors import BackendUnavailableError, causes

DEFAULT_TIMEOUT_SECONDS = 2
DEFAULT_MAX_WAITING = 50

# SQLSTATEs of a connection that is gone or cannot be had: class 08 (connection
# exception), and the server shutting down or starting up (57P01-57P03).
_GONE_STATES = ("08", "57P01", "57P02", "57P03")


def connection_lost(error: BaseException) -> bool:
    """Whether ``error`` (or an error it was raised from) says the server is out of
    reach: no connection, a connection that died, or none from the pool in time.

    A statement the server refused or cancelled (a lock or statement timeout, a
    serialization failure) is not: the server answered. Nor is a full queue for
    the pool (too many requests at once), nor another backend's outage.
    """
    for cause in causes(error):
        if isinstance(cause, TooManyRequests):
            return False
        if isinstance(cause, PoolTimeout):
            return True
        if isinstance(cause, psycopg.OperationalError | psycopg.InterfaceError):
            # No SQLSTATE: the client lost, or never had, its connection.
            state = cause.sqlstate
            return state is None or state.startswith(_GONE_STATES)
    return False


def no_connection(error: BaseException) -> bool:
    """Whether ``error`` says a pool could not get a connection in time: what opens
    the ``postgres`` circuit breaker. A connection lost while in use is answered as
    an outage too, but opens nothing: the pool replaces it, the server may be fine
    (an administrator ended the session, say)."""
    return any(isinstance(cause, PoolTimeout) for cause in causes(error))


def check_or_drain(pool: ConnectionPool[Any]) -> Callable[[Any], None]:
    """``pool``'s check of a connection before handing it out: a dead one makes
    the pool drop every idle connection and open new ones.

    The server that dropped one connection (a restart, ``pg_terminate_backend``)
    has most likely dropped its idle siblings too: replaced at once, they no longer
    cost the next callers a failed check and a second's pause each.
    """

    def check(connection: Any) -> None:
        try:
            ConnectionPool.check_connection(connection)
        except Exception:
            pool.drain()
            raise

    return check


class PostgresHealth:
    def __init__(
        self,
        url: str,
        breaker: CircuitBreaker | None = None,
        timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self._url = url
        self._breaker = breaker or CircuitBreaker("postgres")
        self._timeout = timeout_seconds

    def ping(self) -> None:
        with self._breaker.call(connection_lost):
            try:
                with psycopg.connect(
                    self._url, connect_timeout=self._timeout
                ) as connection:
                    connection.execute("SELECT 1")
            except psycopg.Error as error:
                raise BackendUnavailableError(f"postgres: {error}") from error


# The session-level advisory lock a process holds while it creates its tables at
# start-up. Not the engine's schema lock (``SCHEMA_LOCK_KEY``), which set-up takes
# per transaction inside it, on other connections of the same process.
STARTUP_LOCK_KEY = 0x5370_6F75


@contextmanager
def creating_tables_alone(
    url: str, lock_key: int, connect_timeout_seconds: int
) -> Iterator[None]:
    """Hold a session-level advisory lock on ``lock_key`` while the body creates
    tables: ``CREATE TABLE IF NOT EXISTS`` is not safe against a concurrent twin
    (it can fail on a unique index of the catalogue), and an API and a worker
    restarted together on an empty database would race on the event store's tables.
    """
    try:
        connection = psycopg.connect(
            url, autocommit=True, connect_timeout=connect_timeout_seconds
        )
    except psycopg.OperationalError as error:
        raise BackendUnavailableError(f"postgres: {error}") from error
    with connection:
        connection.execute("SELECT pg_advisory_lock(%s)", (lock_key,))
        # Closing the session releases the lock, whatever the body raised.
        yield


def eventsourcing_environment(
    url: str,
    pool_size: int,
    max_overflow: int,
    *,
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS,
    max_waiting: int = DEFAULT_MAX_WAITING,
) -> dict[str, str]:
    """Translate a PostgreSQL URL into eventsourcing's environment mapping.

    ``timeout_seconds`` is eventsourcing's connect timeout, which is also how long
    a command waits for a pooled connection; ``max_waiting`` bounds that queue.
    Pooled connections are checked before use (``POSTGRES_PRE_PING``), so the
    first commands after a restart of the server do not meet dead connections.
    """
    parsed = urlparse(url)
    if parsed.scheme not in {"postgresql", "postgres"}:
        raise ValueError(f"not a PostgreSQL URL: {url!r}")
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": parsed.path.lstrip("/") or "postgres",
        "POSTGRES_HOST": parsed.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parsed.port or 5432),
        "POSTGRES_USER": unquote(parsed.username or ""),
        "POSTGRES_PASSWORD": unquote(parsed.password or ""),
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": str(max_overflow),
        "POSTGRES_CONNECT_TIMEOUT": str(timeout_seconds),
        "POSTGRES_MAX_WAITING": str(max_waiting),
        "POSTGRES_PRE_PING": "y",
        "CREATE_TABLE": "y",
    }


def guard_event_store(
    recorder: object,
    breaker: CircuitBreaker,
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS,
) -> bool:
    """Make ``recorder``'s PostgreSQL datastore fail fast and heal: returns False
    for a recorder of another kind (SQLite, in memory).

    eventsourcing takes every connection through ``PostgresDatastore.
    get_connection``: wrapped (on this datastore instance only), each read, write
    and subscription goes through ``breaker``, and a lost connection leaves as
    ``BackendUnavailableError`` naming ``postgres``. Its pool checks connections
    before use (``POSTGRES_PRE_PING``); a dead one drains the pool
    (``check_or_drain``), and a failed reconnection is given up after
    ``timeout_seconds`` so the next call tries again at once, instead of waiting
    out a backoff that grows with the outage.
    """
    from eventsourcing.persistence import InterfaceError, OperationalError
    from eventsourcing.postgres import PostgresDatastore

    datastore = getattr(recorder, "datastore", None)
    if not isinstance(datastore, PostgresDatastore):
        return False
    pool = datastore.pool
    pool.reconnect_timeout = timeout_seconds
    # psycopg_pool keeps the check it was given here; eventsourcing passes only
    # ``check_connection``, so ours takes its place.
    pool._check = check_or_drain(pool)
    connect: Callable[[], AbstractContextManager[Any]] = datastore.get_connection

    @contextmanager
    def get_connection() -> Iterator[Any]:
        with breaker.call(no_connection):
            try:
                with connect() as connection:
                    yield connection
            except (OperationalError, InterfaceError) as error:
                if connection_lost(error):
                    raise BackendUnavailableError(f"postgres: {error}") from error
                raise

    datastore.get_connection = get_connection  # type: ignore[method-assign]
    return True


@contextmanager
def temporary_database(url: str, prefix: str = "tmp") -> Iterator[str]:
    """A database of its own beside ``url``'s, dropped afterwards; yields its URL.

    For tests and benchmarks of the whole composed app: a schema is not enough, as
    projection worker locks and LISTEN/NOTIFY channels are per database. Creating
    one takes about 20 ms.
    """
    name = f"{prefix}_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
