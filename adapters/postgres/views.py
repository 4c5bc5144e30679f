"""Relational views on PostgreSQL: one pooled connection per transaction."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from ports.errors import BackendUnavailableError
from ports.relational import Dialect, Row


class PostgresSession:
    dialect: Dialect = "postgres"

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self._connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._connection.execute(sql, params or None)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            with self._connection.cursor() as cursor:
                cursor.executemany(sql, rows)

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cursor = self._connection.execute(sql, params or None)
        return [tuple(r) for r in cursor.fetchall()]

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        cursor = self._connection.execute(sql, params or None)
        row = cursor.fetchone()
        return tuple(row) if row is not None else None


class PostgresRelationalStore:
    dialect: Dialect = "postgres"

    def __init__(
        self, url: str, max_connections: int = 10, schema: str | None = None
    ) -> None:
        self.url = url
        options: dict[str, str | int] = {"connect_timeout": 5}
        if schema is not None:
            # Views and tracking tables live in this schema (tests isolate with it).
            options["options"] = f"-c search_path={schema}"
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max_connections,
            open=False,
            name="spotlight-views",
            kwargs=options,
        )
        self._opened = False

    def _ensure_open(self) -> ConnectionPool:
        if not self._opened:
            self._pool.open(wait=False)
            self._opened = True
        return self._pool

    @contextmanager
    def transaction(self) -> Iterator[PostgresSession]:
        with ExitStack() as stack:
            try:
                connection = stack.enter_context(
                    self._ensure_open().connection(timeout=10)
                )
            except (psycopg.OperationalError, PoolTimeout) as error:
                raise BackendUnavailableError(f"postgres: {error}") from error
            with connection.transaction():
                yield PostgresSession(connection)

    def ping(self) -> None:
        with self.transaction() as session:
            session.execute("SELECT 1")

    def close(self) -> None:
        if self._opened:
            self._pool.close()
            self._opened = False
