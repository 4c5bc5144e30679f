"""Relational views on PostgreSQL: one pooled connection per transaction.

Pooled connections are checked before use, so a connection the server dropped
(a restart, an administrator's ``pg_terminate_backend``) is replaced, with its idle
siblings, rather than handed out. No connection from the pool in time, or one lost
mid-transaction, leaves as ``BackendUnavailableError``; the first also opens the
``postgres`` circuit breaker, which then fails the next calls at once
(``adapters.resilience``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from adapters.postgres.database import (
    DEFAULT_MAX_WAITING,
    DEFAULT_TIMEOUT_SECONDS,
    check_or_drain,
    connection_lost,
    no_connection,
)
from adapters.resilience import CircuitBreaker
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
        self,
        url: str,
        max_connections: int = 10,
        schema: str | None = None,
        *,
        breaker: CircuitBreaker | None = None,
        timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS,
        max_waiting: int = DEFAULT_MAX_WAITING,
    ) -> None:
        self.url = url
        self._breaker = breaker or CircuitBreaker("postgres")
        self._timeout = timeout_seconds
        options: dict[str, str | int] = {"connect_timeout": timeout_seconds}
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
            check=self._check_connection,
            timeout=timeout_seconds,
            max_waiting=max_waiting,
            # A failed reconnection is given up soon, so the next caller tries
            # again at once rather than after a backoff that grows with an outage.
            reconnect_timeout=timeout_seconds,
        )
        self._opened = False

    def _check_connection(self, connection: psycopg.Connection[Any]) -> None:
        check_or_drain(self._pool)(connection)

    def _ensure_open(self) -> ConnectionPool:
        if not self._opened:
            self._pool.open(wait=False)
            self._opened = True
        return self._pool

    @contextmanager
    def transaction(self) -> Iterator[PostgresSession]:
        with self._breaker.call(no_connection), ExitStack() as stack:
            try:
                connection = stack.enter_context(
                    self._ensure_open().connection(timeout=self._timeout)
                )
            except psycopg.OperationalError as error:  # none in time, or queue full
                raise BackendUnavailableError(f"postgres: {error}") from error
            try:
                with connection.transaction():
                    yield PostgresSession(connection)
            except (psycopg.OperationalError, psycopg.InterfaceError) as error:
                if connection_lost(error):  # the connection died mid-transaction
                    raise BackendUnavailableError(f"postgres: {error}") from error
                raise

    def ping(self) -> None:
        with self.transaction() as session:
            session.execute("SELECT 1")

    def close(self) -> None:
        if self._opened:
            self._pool.close()
            self._opened = False
