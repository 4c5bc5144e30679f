"""Reading users: the cache first, the relational view when Redis misses or is down.

``UserDirectory.get`` runs on every authenticated request. A Redis error opens a
short circuit breaker: for a few seconds requests go straight to the view instead of
each waiting for Redis to time out.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.identity.values import Role
from ports.cache import Cache
from ports.relational import RelationalStore
from projections.contracts import ViewNames
from projections.identity import (
    SELECT_USER_COLUMNS,
    USER_CACHE_PROJECTION,
    USER_KEY,
    USERS_PROJECTION,
    USERS_TABLE,
    UserDocument,
    document_from_row,
)

logger = logging.getLogger(__name__)

MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class UserInfo:
    id: UUID
    version: int
    email: str | None
    first_name: str | None
    last_name: str | None
    date_of_birth: str | None
    address: dict[str, Any] | None
    gender: str | None
    phone: str | None
    roles: frozenset[Role]
    disabled: bool
    created_at: str
    updated_at: str

    @classmethod
    def from_document(cls, document: UserDocument) -> UserInfo:
        return cls(
            id=UUID(document["id"]),
            version=int(document["version"]),
            email=document.get("email"),
            first_name=document.get("first_name"),
            last_name=document.get("last_name"),
            date_of_birth=document.get("date_of_birth"),
            address=document.get("address"),
            gender=document.get("gender"),
            phone=document.get("phone"),
            roles=frozenset(Role(r) for r in document.get("roles", [])),
            disabled=bool(document.get("disabled")),
            created_at=str(document.get("created_at", "")),
            updated_at=str(document.get("updated_at", "")),
        )


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
        version_ttl_seconds: float = 5.0,
        cache_retry_after_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._views = views
        self._cache = cache
        self._version_ttl = version_ttl_seconds
        self._retry_after = cache_retry_after_seconds
        self._clock = clock
        self._versions: dict[str, tuple[int, float]] = {}
        self._cache_down_until = float("-inf")
        self._lock = threading.Lock()
        # Counted for the benchmark and tests: where answers came from.
        self.cache_hits = 0
        self.cache_misses = 0
        self.cache_errors = 0

    def get(self, user_id: UUID, *, use_cache: bool = True) -> UserInfo | None:
        """The user, or None. ``use_cache=False`` when the cache may lag the view."""
        document = self._from_cache(user_id) if use_cache else None
        if document is None:
            document = self._from_view(user_id)
        return UserInfo.from_document(document) if document else None

    def list(
        self, *, role: Role | None = None, after: str | None = None, limit: int = 50
    ) -> UserPage:
        """Users ordered by id, ``limit`` at a time; ``after`` is the last id seen."""
        limit = max(1, min(limit, MAX_PAGE_SIZE))
        table = self._table()
        where, params = [], []
        if role is not None:
            where.append("roles LIKE %s")
            params.append(f"%,{role.value},%")
        if after:
            where.append("id > %s")
            params.append(after)
        clause = f"WHERE {' AND '.join(where)} " if where else ""
        with self._views.transaction() as session:
            rows = session.fetchall(
                f"SELECT {SELECT_USER_COLUMNS} FROM {table} {clause}"
                "ORDER BY id LIMIT %s",
                (*params, limit + 1),
            )
        users = [UserInfo.from_document(document_from_row(r)) for r in rows[:limit]]
        more = len(rows) > limit
        return UserPage(users, str(users[-1].id) if more and users else None)

    # -- The cache -----------------------------------------------------------------

    def _from_cache(self, user_id: UUID) -> UserDocument | None:
        if self._clock() < self._cache_down_until:
            return None
        key = ViewNames(USER_CACHE_PROJECTION, self._version(USER_CACHE_PROJECTION))
        try:
            raw = self._cache.get(key.key_prefix(USER_KEY) + str(user_id))
        except Exception as error:  # noqa: BLE001 - any cache failure means "use the view"
            with self._lock:
                self.cache_errors += 1
                self._cache_down_until = self._clock() + self._retry_after
            logger.warning(
                "user cache unavailable (%s); reading the view", type(error).__name__
            )
            return None
        with self._lock:
            if raw is None:
                self.cache_misses += 1
            else:
                self.cache_hits += 1
        if raw is None:
            return None
        document: UserDocument = json.loads(raw)
        return document

    # -- The view ------------------------------------------------------------------

    def _from_view(self, user_id: UUID) -> UserDocument | None:
        for attempt in (1, 2):
            table = self._table()  # outside the transaction: it may query too
            try:
                with self._views.transaction() as session:
                    row = session.fetchone(
                        f"SELECT {SELECT_USER_COLUMNS} FROM {table} WHERE id = %s",
                        (str(user_id),),
                    )
                return document_from_row(row) if row else None
            except Exception:
                # A rebuild may have switched versions and dropped the old table:
                # look up the live version once more before giving up.
                if attempt == 2:
                    raise
                self._versions.pop(USERS_PROJECTION, None)
        return None

    def _table(self) -> str:
        return ViewNames(USERS_PROJECTION, self._version(USERS_PROJECTION)).table(
            USERS_TABLE
        )

    def _version(self, projection: str) -> int:
        """The live version of a projection, remembered for a few seconds."""
        now = self._clock()
        cached = self._versions.get(projection)
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            with self._views.transaction() as session:
                row = session.fetchone(
                    "SELECT active_version FROM projection_state WHERE projection = %s",
                    (projection,),
                )
        except Exception:  # noqa: BLE001 - before the engine's first run: version 1
            row = None
        version = int(row[0]) if row else 1
        self._versions[projection] = (version, now + self._version_ttl)
        return version
