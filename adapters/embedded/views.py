"""Relational views on SQLite, for ``make run`` and tests without servers."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

from ports.relational import Dialect, Row

_PLACEHOLDER = re.compile(r"%s")


def _sqlite_sql(sql: str) -> str:
    return _PLACEHOLDER.sub("?", sql)


def _sqlite_params(params: Sequence[Any]) -> tuple[Any, ...]:
    # SQLite has no UUID type; store them as text, as the PostgreSQL views read them.
    return tuple(str(p) if isinstance(p, UUID) else p for p in params)


class SqliteSession:
    dialect: Dialect = "sqlite"

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._connection.execute(_sqlite_sql(sql), _sqlite_params(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._connection.executemany(
            _sqlite_sql(sql), [_sqlite_params(r) for r in rows]
        )

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cursor = self._connection.execute(_sqlite_sql(sql), _sqlite_params(params))
        return [tuple(r) for r in cursor.fetchall()]

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        cursor = self._connection.execute(_sqlite_sql(sql), _sqlite_params(params))
        row = cursor.fetchone()
        return tuple(row) if row is not None else None


class SqliteRelationalStore:
    """One connection guarded by a lock: SQLite has a single writer anyway."""

    dialect: Dialect = "sqlite"

    def __init__(self, path: Path | None) -> None:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._connection = sqlite3.connect(
            str(path) if path else ":memory:",
            check_same_thread=False,
            isolation_level=None,  # we issue BEGIN/COMMIT ourselves
            timeout=10,
        )
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[SqliteSession]:
        with self._lock:
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield SqliteSession(self._connection)
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

    def ping(self) -> None:
        with self._lock:
            self._connection.execute("SELECT 1")

    def close(self) -> None:
        with self._lock:
            self._connection.close()
