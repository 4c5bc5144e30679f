"""Reading users: the cache first, the relational view when Redis misses or is down.

``UserDirectory.lookup`` runs on every authenticated request, on the event loop: the
cache through its asynchronous reads, the view (a miss: rare) in a worker thread;
``get`` is the same for synchronous callers. A Redis error opens a short circuit
breaker: for a few seconds requests go straight to the view instead of each waiting
for Redis to time out.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

import anyio.to_thread

from domain.identity.values import Role
from ports.cache import AsyncCacheReads, Cache
from ports.relational import RelationalStore
from projections.identity.user_cache import UserCacheReader, decode
from projections.identity.user_info import UserInfo
from projections.identity.users_view import UsersReader
from projections.identity.versions import LiveVersions

logger = logging.getLogger(__name__)

MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class UserPage:
    users: list[UserInfo]
    next_cursor: str | None


class UserDirectory:
    def __init__(
        self,
        views: RelationalStore,
        cache: Cache,
        *,
        reads: AsyncCacheReads | None = None,
        version_ttl_seconds: float = 5.0,
        cache_retry_after_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        versions = LiveVersions(views, ttl_seconds=version_ttl_seconds, clock=clock)
        self._view = UsersReader(views, versions)
        self._cache = UserCacheReader(cache, versions)
        # The same cache's reads for the event loop; without them ``lookup`` reads
        # the cache in a worker thread.
        self._reads = reads
        self._retry_after = cache_retry_after_seconds
        self._clock = clock
        self._cache_down_until = float("-inf")
        self._lock = threading.Lock()
        # Counted for the benchmark and tests: where answers came from.
        self.cache_hits = 0
        self.cache_misses = 0
        self.cache_errors = 0

    def get(self, user_id: UUID, *, use_cache: bool = True) -> UserInfo | None:
        """The user, or None. ``use_cache=False`` when the cache may lag the view."""
        found = self._from_cache(user_id) if use_cache else None
        return found or self._view.get(user_id)

    async def lookup(self, user_id: UUID, *, use_cache: bool = True) -> UserInfo | None:
        """``get`` for the event loop: no thread unless the view must answer."""
        found = None
        if use_cache:
            if self._reads is None:
                found = await anyio.to_thread.run_sync(self._from_cache, user_id)
            else:
                found = await self._from_cache_reads(self._reads, user_id)
        if found is not None:
            return found
        return await anyio.to_thread.run_sync(self._view.get, user_id)

    def list(
        self, *, role: Role | None = None, after: str | None = None, limit: int = 50
    ) -> UserPage:
        """Users ordered by id, ``limit`` at a time; ``after`` is the last id seen."""
        limit = max(1, min(limit, MAX_PAGE_SIZE))
        users = self._view.page(role=role, after=after, limit=limit + 1)
        more = len(users) > limit
        users = users[:limit]
        return UserPage(users, str(users[-1].id) if more and users else None)

    def _from_cache(self, user_id: UUID) -> UserInfo | None:
        if self._clock() < self._cache_down_until:
            return None
        try:
            found = self._cache.get(user_id)
        except Exception as error:  # noqa: BLE001 - any cache failure means "use the view"
            self._failed(error)
            return None
        self._count(found)
        return found

    async def _from_cache_reads(
        self, reads: AsyncCacheReads, user_id: UUID
    ) -> UserInfo | None:
        if self._clock() < self._cache_down_until:
            return None
        try:
            key = self._cache.known_key(user_id)
            if key is None:  # the live version is due a look (every few seconds)
                key = await anyio.to_thread.run_sync(self._cache.key, user_id)
            found = decode(await reads.get(key))
        except Exception as error:  # noqa: BLE001 - any cache failure means "use the view"
            self._failed(error)
            return None
        self._count(found)
        return found

    def _failed(self, error: Exception) -> None:
        with self._lock:
            self.cache_errors += 1
            self._cache_down_until = self._clock() + self._retry_after
        logger.warning(
            "user cache unavailable (%s); reading the view", type(error).__name__
        )

    def _count(self, found: UserInfo | None) -> None:
        with self._lock:
            if found is None:
                self.cache_misses += 1
            else:
                self.cache_hits += 1
