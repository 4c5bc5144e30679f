"""PostgreSQL connection handling shared by the real adapters."""

from __future__ import annotations

from urllib.parse import unquote, urlparse

import psycopg

from projections.ports import BackendUnavailableError


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
