"""What identity's own tables share: column types per dialect, and safe DDL.

Identity keeps personal-data keys, refresh tokens and token-signing keys outside the
event store (keys must be destroyable and tokens churn), in tables of the relational
store: PostgreSQL in real mode, SQLite (a file under ``data_dir``, or memory) when
embedded. One SQL implementation per table serves both dialects.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, ClassVar

from ports.relational import RelationalStore, SqlSession

Clock = Callable[[], float]

BINARY = {"postgres": "BYTEA", "sqlite": "BLOB"}
FLOAT = {"postgres": "DOUBLE PRECISION", "sqlite": "REAL"}


def as_bytes(value: Any) -> bytes:
    return bytes(value)  # psycopg answers memoryview, SQLite bytes


_SETUP_LOCK = threading.Lock()


def create_tables(
    store: RelationalStore, statements: Callable[[SqlSession], list[str]]
) -> None:
    """Run idempotent DDL once per process, surviving a race with another process.

    PostgreSQL's ``CREATE TABLE IF NOT EXISTS`` can still fail when two sessions
    create the same table at once; the second attempt then finds it there.
    """
    with _SETUP_LOCK:
        for attempt in (1, 2):
            try:
                with store.transaction() as session:
                    for statement in statements(session):
                        session.execute(statement)
                return
            except Exception:
                if attempt == 2:
                    raise


class IdentityTable:
    """One of identity's own tables: its DDL (``schema``) runs once, at ``setup``."""

    TABLE: ClassVar[str]

    def __init__(self, store: RelationalStore, clock: Clock = time.time) -> None:
        self._store = store
        self._clock = clock
        self._ready = False

    def schema(self, session: SqlSession) -> list[str]:
        """The idempotent DDL of the table and its indexes, in ``session``'s dialect."""
        raise NotImplementedError

    def setup(self) -> None:
        if self._ready:
            return
        create_tables(self._store, self.schema)
        self._ready = True
