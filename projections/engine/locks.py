"""Worker locks: at most one process applies a projection at a time.

The PostgreSQL advisory lock (``adapters.postgres.locks``) and the file lock
(``adapters.embedded.locks``) implement ``WorkerLock`` across processes.
"""

from __future__ import annotations

import threading
from typing import Protocol


class WorkerLock(Protocol):
    """At most one holder per projection name across every process."""

    def try_acquire(self, name: str) -> bool: ...

    def release(self, name: str) -> None: ...


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
