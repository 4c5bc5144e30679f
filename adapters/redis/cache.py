"""Cache on Redis: ``RedisCache``, and ``RedisCacheReads`` for an event loop.

Every call goes through the ``redis`` circuit breaker: a server that cannot be
reached (a command is tried twice, on a fresh connection the second time) leaves as
``BackendUnavailableError`` and the next calls fail at once while it is down.
``RedisCache.reads()`` gives the same keys through ``redis.asyncio``, on the same
breaker, for the requests' hot path (the user cache); projections write through the
synchronous client.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import redis
import redis.asyncio
import redis.asyncio.retry
import redis.exceptions
from redis.backoff import NoBackoff
from redis.retry import Retry

from adapters.resilience import CircuitBreaker
from ports.cache import versioned
from ports.errors import BackendUnavailableError

DEFAULT_TIMEOUT_SECONDS = 1.0
# A command is retried once (a pooled connection the server closed meanwhile),
# at once: redis-py's default, ten retries with backoff, outlasts any bound.
RETRIES = 1

# Writes ARGV[2] (the versioned value) at KEYS[1] unless the value there is at
# version ARGV[1] or newer (``ports.cache.versioned``: "<version>\\n<value>").
SET_IF_NEWER = """
local current = redis.call('GET', KEYS[1])
if current then
  local held = tonumber(string.match(current, '^(%d+)\\n'))
  if held and held >= tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2])
return 1
"""


def unreachable(error: BaseException) -> bool:
    """Connection refused, lost or timed out (``BusyLoadingError`` included: the
    server is up but cannot serve yet)."""
    return isinstance(
        error, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError
    )


class RedisCache:
    def __init__(
        self,
        url: str,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        *,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self._url = url
        self._timeout = timeout_seconds
        self._redis = redis.Redis.from_url(
            url,
            socket_timeout=timeout_seconds,
            socket_connect_timeout=timeout_seconds,
            retry=Retry(NoBackoff(), RETRIES),
        )
        self._breaker = breaker or CircuitBreaker("redis")
        self._set_if_newer = self._redis.register_script(SET_IF_NEWER)
        self._reads: RedisCacheReads | None = None

    def reads(self) -> RedisCacheReads:
        """The same server's reads for an event loop, on the same breaker."""
        if self._reads is None:
            self._reads = RedisCacheReads(self._url, self._timeout, self._breaker)
        return self._reads

    @property
    def client(self) -> redis.Redis:
        return self._redis

    def close(self) -> None:
        self._redis.close()

    @contextmanager
    def _calling(self) -> Iterator[None]:
        with self._breaker.call(unreachable):
            yield

    def ping(self) -> None:
        try:
            with self._calling():
                self._redis.ping()
        except redis.exceptions.RedisError as error:
            raise BackendUnavailableError(f"redis: {error}") from error

    def get(self, key: str) -> bytes | None:
        with self._calling():
            value = self._redis.get(key)
        return value if isinstance(value, bytes) else None

    def set(self, key: str, value: bytes, ttl_seconds: float | None = None) -> None:
        with self._calling():
            if ttl_seconds is None:
                self._redis.set(key, value)
            else:
                self._redis.set(key, value, px=max(1, int(ttl_seconds * 1000)))

    def delete(self, *keys: str) -> int:
        if not keys:
            return 0
        with self._calling():
            return int(self._redis.delete(*keys))

    def expire(self, key: str, ttl_seconds: float) -> bool:
        with self._calling():
            return bool(self._redis.pexpire(key, max(1, int(ttl_seconds * 1000))))

    def ttl(self, key: str) -> float | None:
        with self._calling():
            millis = int(self._redis.pttl(key))
        return millis / 1000 if millis >= 0 else None

    def keys(self, prefix: str) -> list[str]:
        escaped = prefix.replace("*", r"\*").replace("?", r"\?").replace("[", r"\[")
        with self._calling():
            found = list(self._redis.scan_iter(match=escaped + "*", count=500))
        return sorted(k.decode() if isinstance(k, bytes) else str(k) for k in found)

    def set_if_newer(self, key: str, version: int, value: bytes) -> bool:
        with self._calling():
            written = self._set_if_newer(
                keys=[key], args=[version, versioned(version, value)]
            )
        return bool(written)


class RedisCacheReads:
    """``get`` through ``redis.asyncio``: no thread per call.

    A ``redis.asyncio`` connection belongs to the event loop that opened it, so each
    loop gets its own client (one in a server process; tests may run several, and
    the clients of loops that have closed are let go).
    """

    def __init__(
        self, url: str, timeout_seconds: float, breaker: CircuitBreaker
    ) -> None:
        self._url = url
        self._timeout = timeout_seconds
        self._breaker = breaker
        self._clients: dict[asyncio.AbstractEventLoop, redis.asyncio.Redis] = {}
        self._lock = threading.Lock()

    def _client(self) -> redis.asyncio.Redis:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is not None:
            return client
        with self._lock:  # loops in other threads may be adding theirs
            for gone in [held for held in self._clients if held.is_closed()]:
                del self._clients[gone]
            client = redis.asyncio.Redis.from_url(
                self._url,
                socket_timeout=self._timeout,
                socket_connect_timeout=self._timeout,
                retry=redis.asyncio.retry.Retry(NoBackoff(), RETRIES),
            )
            self._clients[loop] = client
        return client

    async def get(self, key: str) -> bytes | None:
        client = self._client()
        with self._breaker.call(unreachable):
            value = await client.get(key)
        return value if isinstance(value, bytes) else None

    async def aclose(self) -> None:
        """Close this loop's connections (the app's shutdown)."""
        with self._lock:
            client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()
