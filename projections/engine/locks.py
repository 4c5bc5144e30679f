"""Worker locks: at most one process applies a projection at a time.

The PostgreSQL advisory lock (``adapters.postgres.locks``) and the file lock
(``adapters.embedded.locks``) implement ``WorkerLock`` across processes.

A lock can be lost without its holder letting go: PostgreSQL forgets session locks
when it restarts or ends the session. So a holder *fences* every batch it applies
(``holds``, asked inside the batch's transaction) and checks, while idle, that its
lock is still there (``is_alive``); either answering no stops it applying.
"""

from __future__ import annotations

import threading
from typing import Protocol

from ports.relational import SqlSession


class LockLostError(Exception):
    """This worker no longer holds the projection's worker lock: it must stop
    applying (another worker may hold it now)."""


class WorkerLock(Protocol):
    """At most one holder per projection name across every process."""

    def try_acquire(self, name: str) -> bool: ...

    def release(self, name: str) -> None: ...

    def holds(self, name: str, session: SqlSession) -> bool:
        """Whether this holder still holds ``name``'s lock, asked in ``session``
        (the transaction about to apply a batch)."""
        ...

    def is_alive(self, name: str) -> bool:
        """A cheap check, while idle, that the lock on ``name`` is still held."""
        ...


class ProcessLocalLock:
    """For the embedded store: one process owns the SQLite views file."""

    _held: set[str]

    def __init__(self) -> None:
        self._held = set()
        self._mutex = threading.Lock()

    def try_acquire(self, name: str) -> bool:
        with self._mutex:
            if name in self._held:
                return False
            self._held.add(name)
            return True

    def release(self, name: str) -> None:
        with self._mutex:
            self._held.discard(name)

    def holds(self, name: str, session: SqlSession) -> bool:
        return self.is_alive(name)

    def is_alive(self, name: str) -> bool:
        with self._mutex:
            return name in self._held
