"""A PostgreSQL advisory lock per projection: one worker applies it at a time."""

from __future__ import annotations

import contextlib
import threading
import zlib
from typing import Any

import psycopg


def _lock_key(namespace: str, name: str) -> int:
    # A stable key from the deployment's namespace (schema) and projection name.
    return zlib.crc32(f"spotlight-projection:{namespace}:{name}".encode()) - 2**31


class AdvisoryWorkerLock:
    """Session-level advisory locks, each held on its own connection.

    If the process dies, PostgreSQL ends the session and the lock is released, so a
    standby worker takes over.
    """

    def __init__(self, url: str, namespace: str = "") -> None:
        self._url = url
        self._namespace = namespace
        self._held: dict[str, psycopg.Connection[Any]] = {}
        self._mutex = threading.Lock()

    def try_acquire(self, name: str) -> bool:
        with self._mutex:
            if name in self._held:
                return False
            try:
                connection = psycopg.connect(
                    self._url, autocommit=True, connect_timeout=5
                )
            except psycopg.OperationalError:
                return False
            row = connection.execute(
                "SELECT pg_try_advisory_lock(%s)", (_lock_key(self._namespace, name),)
            ).fetchone()
            if not (row and row[0]):
                connection.close()
                return False
            self._held[name] = connection
            return True

    def release(self, name: str) -> None:
        with self._mutex:
            connection = self._held.pop(name, None)
        if connection is not None:
            # Closing the session releases the lock even if unlock fails.
            with contextlib.suppress(psycopg.Error):
                connection.execute(
                    "SELECT pg_advisory_unlock(%s)", (_lock_key(self._namespace, name),)
                )
            connection.close()
