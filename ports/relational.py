"""The relational store port: PostgreSQL, or SQLite when embedded.

The read side keeps its views and tracked positions in it; the service's own tables
beside the event store (identity's stores, inbound messages' deduplication) live there
too.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Literal, Protocol

Dialect = Literal["postgres", "sqlite"]
Row = tuple[Any, ...]


class SqlSession(Protocol):
    """One transaction. SQL uses ``%s`` placeholders on every dialect."""

    dialect: Dialect

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...


class RelationalStore(Protocol):
    """The relational views database: PostgreSQL, or SQLite when embedded."""

    dialect: Dialect

    def transaction(self) -> AbstractContextManager[SqlSession]:
        """Commit on normal exit, roll back on an exception."""
        ...

    def close(self) -> None: ...

    def ping(self) -> None: ...
