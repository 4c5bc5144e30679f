"""PostgreSQL connection handling shared by the real adapters."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import unquote, urlparse, urlsplit, urlunsplit

import psycopg

from ports.errors import BackendUnavailableError


class PostgresHealth:
    def __init__(self, url: str) -> None:
        self._url = url

    def ping(self) -> None:
        try:
            with psycopg.connect(self._url, connect_timeout=3) as connection:
                connection.execute("SELECT 1")
        except psycopg.Error as error:
            raise BackendUnavailableError(f"postgres: {error}") from error


def eventsourcing_environment(
    url: str, pool_size: int, max_overflow: int
) -> dict[str, str]:
    """Translate a PostgreSQL URL into eventsourcing's environment mapping."""
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
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "CREATE_TABLE": "y",
    }


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
