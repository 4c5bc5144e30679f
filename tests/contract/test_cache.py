"""One contract for the cache port, run in memory and on Redis."""

from __future__ import annotations

import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator

import anyio
import pytest

from adapters.backends import cache_reads
from adapters.embedded.cache import InMemoryCache
from adapters.redis.cache import RedisCache
from adapters.resilience import BreakerState, CircuitBreaker
from ports.cache import Cache, split_versioned
from ports.errors import BackendUnavailableError


class CacheContract(ABC):
    @abstractmethod
    @pytest.fixture
    def cache(self) -> Cache: ...

    @pytest.fixture
    def prefix(self) -> str:
        return f"contract:{uuid.uuid4().hex[:12]}:"

    def test_set_then_get(self, cache: Cache, prefix: str) -> None:
        cache.set(prefix + "user", b'{"name": "x"}')
        assert cache.get(prefix + "user") == b'{"name": "x"}'
        assert cache.get(prefix + "absent") is None

    def test_value_expires_after_its_ttl(self, cache: Cache, prefix: str) -> None:
        cache.set(prefix + "short", b"1", ttl_seconds=0.2)
        ttl = cache.ttl(prefix + "short")
        assert ttl is not None
        assert 0 < ttl <= 0.2
        deadline = time.monotonic() + 3
        while cache.get(prefix + "short") is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert cache.get(prefix + "short") is None

    def test_expire_sets_a_ttl_on_an_existing_key(
        self, cache: Cache, prefix: str
    ) -> None:
        cache.set(prefix + "k", b"v")
        assert cache.ttl(prefix + "k") is None
        assert cache.expire(prefix + "k", 30) is True
        ttl = cache.ttl(prefix + "k")
        assert ttl is not None
        assert 25 < ttl <= 30
        assert cache.expire(prefix + "absent", 30) is False

    def test_delete_counts_what_it_removed(self, cache: Cache, prefix: str) -> None:
        cache.set(prefix + "a", b"1")
        cache.set(prefix + "b", b"2")
        assert cache.delete(prefix + "a", prefix + "b", prefix + "c") == 2
        assert cache.get(prefix + "a") is None

    def test_keys_by_prefix(self, cache: Cache, prefix: str) -> None:
        cache.set(prefix + "user:1", b"1")
        cache.set(prefix + "user:2", b"2")
        cache.set(prefix + "other", b"3")
        assert cache.keys(prefix + "user:") == [prefix + "user:1", prefix + "user:2"]

    def test_set_if_newer_never_lets_an_older_version_win(
        self, cache: Cache, prefix: str
    ) -> None:
        key = prefix + "roadmap"
        assert cache.set_if_newer(key, 3, b'{"v": 3}') is True
        # Check an older or the same version is ignored, a newer one written.
        assert cache.set_if_newer(key, 2, b'{"v": 2}') is False
        assert cache.set_if_newer(key, 3, b'{"v": "again"}') is False
        stored = cache.get(key)
        assert stored is not None
        assert split_versioned(stored) == (3, b'{"v": 3}')
        assert cache.set_if_newer(key, 4, b'{"v": 4}\nmore') is True
        stored = cache.get(key)
        assert stored is not None
        assert split_versioned(stored) == (4, b'{"v": 4}\nmore')
        # Check a deleted key takes any version again.
        cache.delete(key)
        assert cache.set_if_newer(key, 1, b"{}") is True

    def test_a_plain_value_is_not_a_versioned_one(
        self, cache: Cache, prefix: str
    ) -> None:
        cache.set(prefix + "plain", b"hello")
        stored = cache.get(prefix + "plain")
        assert stored is not None
        assert split_versioned(stored) is None
        assert cache.set_if_newer(prefix + "plain", 1, b"x") is True

    def test_reads_on_an_event_loop_see_the_same_values(
        self, cache: Cache, prefix: str
    ) -> None:
        cache.set(prefix + "user", b'{"name": "x"}')
        reads = cache_reads(cache)

        async def read() -> tuple[bytes | None, bytes | None]:
            try:
                return await reads.get(prefix + "user"), await reads.get(
                    prefix + "absent"
                )
            finally:
                await reads.aclose()

        # Check twice, on two event loops (each opens its own connections).
        assert anyio.run(read) == (b'{"name": "x"}', None)
        cache.set(prefix + "user", b"{}")
        assert anyio.run(read) == (b"{}", None)


class TestInMemoryCache(CacheContract):
    @pytest.fixture
    def cache(self) -> Cache:
        return InMemoryCache()


class TestRedisCache(CacheContract):
    @pytest.fixture
    def cache(self, redis_url: str) -> Iterator[Cache]:
        cache = RedisCache(redis_url)
        yield cache
        cache.close()

    def test_reads_on_an_event_loop_share_the_breaker(self) -> None:
        # Nothing listens on port 1.
        breaker = CircuitBreaker("redis")
        dead = RedisCache("redis://127.0.0.1:1/0", timeout_seconds=0.2, breaker=breaker)
        reads = cache_reads(dead)

        async def read() -> None:
            await reads.get("anything")

        with pytest.raises(BackendUnavailableError) as first:
            anyio.run(read)
        assert first.value.backend == "redis"
        # Check the breaker the synchronous client uses is open: it fails at once.
        assert breaker.state is BreakerState.OPEN
        started = time.monotonic()
        with pytest.raises(BackendUnavailableError):
            dead.get("anything")
        assert time.monotonic() - started < 0.1
        dead.close()
