"""The user cache: one Redis key per user, read on every authenticated request.

Each ``User`` event is folded into the user's ``UserInfo`` (``user_info``), and the
key holds its whole JSON document; an erased user's key is deleted. The projection
remembers the document it last wrote in its own small table (in the same transaction
as its position), so each Redis write is a whole document: replaying a batch writes
the same values again. ``UserCacheReader`` is its typed reader.
"""

# Table names come from ViewNames (code), never from input; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

import json
from collections.abc import Sequence
from uuid import UUID

from ports.cache import Cache
from ports.relational import SqlSession
from projections.contracts import ProjectedEvent, Projection, ViewNames
from projections.identity.user_info import (
    USER_TOPICS,
    UserInfo,
    fold_user_event,
    from_document,
    to_document,
)
from projections.identity.versions import LiveVersions

USER_CACHE_PROJECTION = "user_cache"
USER_KEY = "user"
_DOCUMENTS_TABLE = "user_cache_documents"


def encode(user: UserInfo) -> bytes:
    """The cached value: the user's document as compact JSON."""
    return json.dumps(to_document(user), separators=(",", ":"), sort_keys=True).encode()


class UserCacheView(Projection):
    """One Redis key per user: what every authenticated request needs to know."""

    name = USER_CACHE_PROJECTION
    sources = ("identity",)
    # Redis may be down for a while; the cache must catch up (and purge) afterwards.
    retry_forever = True

    def setup(self, session: SqlSession) -> None:
        session.execute(
            f"CREATE TABLE IF NOT EXISTS {self.names.table(_DOCUMENTS_TABLE)} ("
            "id TEXT PRIMARY KEY, version INTEGER NOT NULL, document TEXT NOT NULL)"
        )

    def key(self, user_id: UUID | str) -> str:
        return self.names.key_prefix(USER_KEY) + str(user_id)

    def apply(self, session: SqlSession, events: Sequence[ProjectedEvent]) -> None:
        table = self.names.table(_DOCUMENTS_TABLE)
        latest: dict[str, UserInfo | None] = {}
        for item in events:
            if item.topic not in USER_TOPICS:
                continue
            user_id = str(item.originator_id)
            if user_id in latest:
                current = latest[user_id]
            else:
                row = session.fetchone(
                    f"SELECT document FROM {table} WHERE id = %s", (user_id,)
                )
                current = from_document(json.loads(row[0])) if row else None
            if current is not None and current.version >= item.originator_version:
                continue
            latest[user_id] = fold_user_event(current, item)
        # One write per user per batch, the newest state.
        for user_id, user in latest.items():
            session.execute(f"DELETE FROM {table} WHERE id = %s", (user_id,))
            if user is None:
                self.ports.cache.delete(self.key(user_id))
                continue
            session.execute(
                f"INSERT INTO {table} (id, version, document) VALUES (%s, %s, %s)",
                (user_id, user.version, json.dumps(to_document(user))),
            )
            self.ports.cache.set(self.key(user_id), encode(user))

    def drop(self, session: SqlSession) -> None:
        session.execute(f"DROP TABLE IF EXISTS {self.names.table(_DOCUMENTS_TABLE)}")
        keys = self.ports.cache.keys(self.names.key_prefix(USER_KEY))
        if keys:
            self.ports.cache.delete(*keys)


class UserCacheReader:
    """Users from the live version's keys, as ``UserInfo``; cache errors propagate."""

    def __init__(self, cache: Cache, versions: LiveVersions) -> None:
        self._cache = cache
        self._versions = versions

    def key(self, user_id: UUID, version: int | None = None) -> str:
        """The user's key in ``version`` (by default the live one)."""
        if version is None:
            version = self._versions.of(USER_CACHE_PROJECTION)
        names = ViewNames(USER_CACHE_PROJECTION, version)
        return names.key_prefix(USER_KEY) + str(user_id)

    def known_key(self, user_id: UUID) -> str | None:
        """The user's key if the live version is known without I/O."""
        version = self._versions.known(USER_CACHE_PROJECTION)
        return None if version is None else self.key(user_id, version)

    def get(self, user_id: UUID) -> UserInfo | None:
        return decode(self._cache.get(self.key(user_id)))


def decode(raw: bytes | None) -> UserInfo | None:
    """A cached value (``encode``) as ``UserInfo``; None for a missing key."""
    return from_document(json.loads(raw)) if raw is not None else None
