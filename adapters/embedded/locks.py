"""Worker locks for the SQLite views file: ``flock`` on one file per projection."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

from ports.relational import SqlSession


class FileWorkerLock:
    """Two processes sharing ``var/`` (the API and a worker) never both apply.

    The kernel releases an ``flock`` when its process dies, so a standby takes over.
    Nothing else takes a lock from a living process, so whether it is held is
    this object's own answer.
    """

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._held: dict[str, int] = {}
        self._mutex = threading.Lock()

    def try_acquire(self, name: str) -> bool:
        with self._mutex:
            if name in self._held:
                return False
            self._directory.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(
                self._directory / f"{name}.lock", os.O_CREAT | os.O_RDWR
            )
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(descriptor)
                return False
            self._held[name] = descriptor
            return True

    def release(self, name: str) -> None:
        with self._mutex:
            descriptor = self._held.pop(name, None)
        if descriptor is not None:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
            os.close(descriptor)

    def holds(self, name: str, session: SqlSession) -> bool:
        return self.is_alive(name)

    def is_alive(self, name: str) -> bool:
        with self._mutex:
            return name in self._held
