"""A PostgreSQL advisory lock per projection: one worker applies it at a time."""

from __future__ import annotations

import contextlib
import logging
import threading
import zlib
from dataclasses import dataclass
from typing import Any

import psycopg

from ports.relational import SqlSession

logger = logging.getLogger(__name__)

# A dead peer is noticed by TCP itself, not only when PostgreSQL closes the socket
# (a restart does; a lost host or network does not).
_CONNECT_OPTIONS: dict[str, Any] = {
    "autocommit": True,
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "tcp_user_timeout": 10_000,
}

# Is the advisory lock on a bigint key held by this backend? pg_locks shows such a
# key as its high 32 bits (classid) and low 32 bits (objid), objsubid 1.
_HELD_BY = (
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' "
    "AND granted AND pid = %s AND classid = %s::bigint::oid "
    "AND objid = %s::bigint::oid AND objsubid = 1)"
)


def _lock_key(namespace: str, name: str) -> int:
    # A stable key from the deployment's namespace (schema) and projection name.
    return zlib.crc32(f"spotlight-projection:{namespace}:{name}".encode()) - 2**31


def _held_by(pid: int, key: int) -> tuple[int, int, int]:
    return pid, (key >> 32) & 0xFFFF_FFFF, key & 0xFFFF_FFFF


@dataclass(frozen=True)
class _Held:
    connection: psycopg.Connection[Any]
    # The backend holding the lock, remembered at acquire: a fence asks
    # PostgreSQL whether that backend still holds it.
    backend_pid: int


class AdvisoryWorkerLock:
    """Session-level advisory locks, each held on its own connection.

    If the process dies, PostgreSQL ends the session and the lock is released, so a
    standby worker takes over. If PostgreSQL restarts or ends the session, the lock
    is gone while this object still has it: ``holds`` and ``is_alive`` say so.
    """

    def __init__(self, url: str, namespace: str = "") -> None:
        self._url = url
        self._namespace = namespace
        self._held: dict[str, _Held] = {}
        self._mutex = threading.Lock()

    def try_acquire(self, name: str) -> bool:
        with self._mutex:
            if name in self._held:
                return False
            try:
                connection = psycopg.connect(self._url, **_CONNECT_OPTIONS)
            except psycopg.Error:
                return False
            try:
                row = connection.execute(
                    "SELECT pg_try_advisory_lock(%s)", (self._key(name),)
                ).fetchone()
                pid = connection.info.backend_pid
            except psycopg.Error:
                connection.close()
                return False
            if not (row and row[0]):
                connection.close()
                return False
            self._held[name] = _Held(connection, pid)
            return True

    def release(self, name: str) -> None:
        with self._mutex:
            held = self._held.pop(name, None)
        if held is not None:
            # Closing the session releases the lock even if unlock fails.
            with contextlib.suppress(psycopg.Error):
                held.connection.execute(
                    "SELECT pg_advisory_unlock(%s)", (self._key(name),)
                )
            held.connection.close()

    def holds(self, name: str, session: SqlSession) -> bool:
        """Asked in the applying transaction's own session: whether the backend
        that took the lock still holds it (it does not after a restart, or once
        its session was ended)."""
        with self._mutex:
            held = self._held.get(name)
        if held is None:
            return False
        if session.dialect != "postgres":
            return self.is_alive(name)
        row = session.fetchone(_HELD_BY, _held_by(held.backend_pid, self._key(name)))
        return bool(row and row[0])

    def is_alive(self, name: str) -> bool:
        """Asked on the lock's own connection: a dead one answers no at once."""
        with self._mutex:
            held = self._held.get(name)
        if held is None:
            return False
        try:
            row = held.connection.execute(
                _HELD_BY, _held_by(held.backend_pid, self._key(name))
            ).fetchone()
        except psycopg.Error as error:
            logger.debug("lock connection of %s: %s", name, type(error).__name__)
            return False
        return bool(row and row[0])

    def backend_pid(self, name: str) -> int | None:
        """The PostgreSQL backend holding ``name``'s lock for this worker, if it
        took it (operators and tests end that session to see the worker fenced)."""
        with self._mutex:
            held = self._held.get(name)
        return held.backend_pid if held else None

    def _key(self, name: str) -> int:
        return _lock_key(self._namespace, name)
