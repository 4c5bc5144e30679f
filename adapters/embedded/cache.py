"""Cache in process memory with Redis-like expiry, and cache reads for a loop."""

from __future__ import annotations

import threading
import time

import anyio.to_thread

from ports.cache import Cache, split_versioned, versioned


class InMemoryCache:
    def __init__(self) -> None:
        self._values: dict[str, tuple[bytes, float | None]] = {}
        self._lock = threading.Lock()

    def ping(self) -> None:
        return None

    def _live(self, key: str) -> tuple[bytes, float | None] | None:
        entry = self._values.get(key)
        if entry is not None and entry[1] is not None and entry[1] <= time.monotonic():
            del self._values[key]
            return None
        return entry

    def get(self, key: str) -> bytes | None:
        with self._lock:
            entry = self._live(key)
            return entry[0] if entry else None

    def set(self, key: str, value: bytes, ttl_seconds: float | None = None) -> None:
        deadline = time.monotonic() + ttl_seconds if ttl_seconds is not None else None
        with self._lock:
            self._values[key] = (value, deadline)

    def delete(self, *keys: str) -> int:
        with self._lock:
            return sum(1 for k in keys if self._live(k) and self._values.pop(k, None))

    def expire(self, key: str, ttl_seconds: float) -> bool:
        with self._lock:
            entry = self._live(key)
            if entry is None:
                return False
            self._values[key] = (entry[0], time.monotonic() + ttl_seconds)
            return True

    def ttl(self, key: str) -> float | None:
        with self._lock:
            entry = self._live(key)
            if entry is None or entry[1] is None:
                return None
            return max(0.0, entry[1] - time.monotonic())

    def keys(self, prefix: str) -> list[str]:
        with self._lock:
            return sorted(
                k for k in list(self._values) if k.startswith(prefix) and self._live(k)
            )

    def set_if_newer(self, key: str, version: int, value: bytes) -> bool:
        with self._lock:
            entry = self._live(key)
            current = split_versioned(entry[0]) if entry else None
            if current is not None and current[0] >= version:
                return False
            self._values[key] = (versioned(version, value), None)
            return True


class CacheReadsInProcess:
    """A cache's reads for an event loop, called in place: for caches that answer
    from process memory, without I/O (``InMemoryCache``)."""

    def __init__(self, cache: Cache) -> None:
        self._cache = cache

    async def get(self, key: str) -> bytes | None:
        return self._cache.get(key)

    async def aclose(self) -> None:
        return None


class CacheReadsInThreads:
    """A cache's reads for an event loop, each in a worker thread: for a cache whose
    calls may block and that has no asynchronous client."""

    def __init__(self, cache: Cache) -> None:
        self._cache = cache

    async def get(self, key: str) -> bytes | None:
        return await anyio.to_thread.run_sync(self._cache.get, key)

    async def aclose(self) -> None:
        return None
