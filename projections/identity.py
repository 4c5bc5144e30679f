"""Read models of users: a relational view and a cache of user info and roles.

``users`` keeps one row per user (PostgreSQL, or SQLite embedded), for lookups and
admin lists. ``user_cache`` keeps one Redis key per user, read on every
authenticated request. They are separate projections so that Redis being down only
holds back the cache (which keeps retrying) while the relational view, which
requests fall back to, stays current.

Both fold events with ``fold_user_event``. The cache remembers the document it last
wrote in its own small table (in the same transaction as its position), so each
Redis write is a whole document: replaying a batch writes the same values again.
An erased user's row, document and key are deleted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.identity.user import User
from domain.personal_data import is_erased
from ports.relational import SqlSession
from projections.contracts import ProjectedEvent, Projection

USERS_PROJECTION = "users"
USER_CACHE_PROJECTION = "user_cache"
USERS_TABLE = "users"
USER_KEY = "user"

UserDocument = dict[str, Any]

_REGISTERED = get_topic(User.Registered)
_PROFILE_UPDATED = get_topic(User.ProfileUpdated)
_ROLE_GRANTED = get_topic(User.RoleGranted)
_ROLE_REVOKED = get_topic(User.RoleRevoked)
_DISABLED = get_topic(User.Disabled)
_ENABLED = get_topic(User.Enabled)
_ERASED = get_topic(User.Erased)
_IDENTITY_LINKED = get_topic(User.IdentityLinked)
USER_TOPICS = frozenset(
    {
        _REGISTERED,
        _PROFILE_UPDATED,
        _ROLE_GRANTED,
        _ROLE_REVOKED,
        _DISABLED,
        _ENABLED,
        _ERASED,
        _IDENTITY_LINKED,
    }
)

_PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "address",
    "gender",
    "phone",
)


def _plain(value: Any) -> Any:
    # Events of an erased user still load, with personal fields as ERASED.
    return None if is_erased(value) else value


def fold_user_event(
    document: UserDocument | None, item: ProjectedEvent
) -> UserDocument | None:
    """The user's document after ``item``; None once erased (or if unknown)."""
    topic = item.topic
    event = item.event
    timestamp = getattr(event, "timestamp", None)
    stamp = timestamp.isoformat() if timestamp is not None else ""
    if topic == _REGISTERED:
        return {
            "id": str(item.originator_id),
            "version": item.originator_version,
            "email": _plain(getattr(event, "email", None)),
            "first_name": _plain(getattr(event, "first_name", None)),
            "last_name": _plain(getattr(event, "last_name", None)),
            "date_of_birth": None,
            "address": None,
            "gender": None,
            "phone": None,
            "roles": sorted(getattr(event, "roles", [])),
            "disabled": False,
            "created_at": stamp,
            "updated_at": stamp,
        }
    if topic == _ERASED or document is None:
        return None
    changed = dict(document, version=item.originator_version, updated_at=stamp)
    if topic == _PROFILE_UPDATED:
        for name in _PROFILE_FIELDS:
            value = _plain(getattr(event, name, None))
            changed[name] = (
                value if name != "address" or isinstance(value, dict) else None
            )
    elif topic == _ROLE_GRANTED:
        changed["roles"] = sorted({*document["roles"], getattr(event, "role", "")})
    elif topic == _ROLE_REVOKED:
        changed["roles"] = sorted(set(document["roles"]) - {getattr(event, "role", "")})
    elif topic == _DISABLED:
        changed["disabled"] = True
    elif topic == _ENABLED:
        changed["disabled"] = False
    return changed


# --- The relational view ------------------------------------------------------------

_COLUMNS = (
    "id",
    "version",
    "email",
    "first_name",
    "last_name",
    "date_of_birth",
    "address",
    "gender",
    "phone",
    "roles",
    "disabled",
    "created_at",
    "updated_at",
)
SELECT_USER_COLUMNS = ", ".join(_COLUMNS)


def _row(document: UserDocument) -> tuple[Any, ...]:
    values = dict(document)
    values["address"] = json.dumps(document["address"]) if document["address"] else None
    # Delimited so "has role X" is a LIKE '%,X,%' on either dialect.
    values["roles"] = "," + ",".join(document["roles"]) + ","
    values["disabled"] = 1 if document["disabled"] else 0
    return tuple(values[c] for c in _COLUMNS)


def document_from_row(row: Sequence[Any]) -> UserDocument:
    values = dict(zip(_COLUMNS, row, strict=True))
    values["address"] = json.loads(values["address"]) if values["address"] else None
    values["roles"] = [r for r in str(values["roles"]).split(",") if r]
    values["disabled"] = bool(values["disabled"])
    values["version"] = int(values["version"])
    values["id"] = str(values["id"])
    return values


class UsersView(Projection):
    """One row per user, deleted when the user is erased."""

    name = USERS_PROJECTION
    sources = ("identity",)

    def setup(self, session: SqlSession) -> None:
        table = self.names.table(USERS_TABLE)
        session.execute(
            f"CREATE TABLE IF NOT EXISTS {table} ("
            "id TEXT PRIMARY KEY, version INTEGER NOT NULL, email TEXT, "
            "first_name TEXT, last_name TEXT, date_of_birth TEXT, address TEXT, "
            "gender TEXT, phone TEXT, roles TEXT NOT NULL, "
            "disabled INTEGER NOT NULL, created_at TEXT NOT NULL, "
            "updated_at TEXT NOT NULL)"
        )
        session.execute(f"CREATE INDEX IF NOT EXISTS {table}_email ON {table} (email)")

    def apply(self, session: SqlSession, events: Sequence[ProjectedEvent]) -> None:
        table = self.names.table(USERS_TABLE)
        for item in events:
            if item.topic not in USER_TOPICS:
                continue
            user_id = str(item.originator_id)
            row = session.fetchone(
                f"SELECT {SELECT_USER_COLUMNS} FROM {table} WHERE id = %s", (user_id,)
            )
            current = document_from_row(row) if row else None
            if current is not None and current["version"] >= item.originator_version:
                continue
            folded = fold_user_event(current, item)
            session.execute(f"DELETE FROM {table} WHERE id = %s", (user_id,))
            if folded is not None:
                placeholders = ", ".join(["%s"] * len(_COLUMNS))
                session.execute(
                    f"INSERT INTO {table} ({SELECT_USER_COLUMNS}) "
                    f"VALUES ({placeholders})",
                    _row(folded),
                )

    def drop(self, session: SqlSession) -> None:
        session.execute(f"DROP TABLE IF EXISTS {self.names.table(USERS_TABLE)}")


# --- The cache ------------------------------------------------------------------------


def encode_document(document: UserDocument) -> bytes:
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


class UserCacheView(Projection):
    """One Redis key per user: what every authenticated request needs to know."""

    name = USER_CACHE_PROJECTION
    sources = ("identity",)
    # Redis may be down for a while; the cache must catch up (and purge) afterwards.
    retry_forever = True

    def setup(self, session: SqlSession) -> None:
        session.execute(
            f"CREATE TABLE IF NOT EXISTS {self.names.table('user_cache_documents')} ("
            "id TEXT PRIMARY KEY, version INTEGER NOT NULL, document TEXT NOT NULL)"
        )

    def key(self, user_id: UUID | str) -> str:
        return self.names.key_prefix(USER_KEY) + str(user_id)

    def apply(self, session: SqlSession, events: Sequence[ProjectedEvent]) -> None:
        table = self.names.table("user_cache_documents")
        latest: dict[str, UserDocument | None] = {}
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
                current = json.loads(row[0]) if row else None
            if current is not None and current["version"] >= item.originator_version:
                continue
            latest[user_id] = fold_user_event(current, item)
        # One write per user per batch, the newest state.
        for user_id, document in latest.items():
            session.execute(f"DELETE FROM {table} WHERE id = %s", (user_id,))
            if document is None:
                self.ports.cache.delete(self.key(user_id))
                continue
            session.execute(
                f"INSERT INTO {table} (id, version, document) VALUES (%s, %s, %s)",
                (user_id, document["version"], json.dumps(document)),
            )
            self.ports.cache.set(self.key(user_id), encode_document(document))

    def drop(self, session: SqlSession) -> None:
        session.execute(
            f"DROP TABLE IF EXISTS {self.names.table('user_cache_documents')}"
        )
        keys = self.ports.cache.keys(self.names.key_prefix(USER_KEY))
        if keys:
            self.ports.cache.delete(*keys)
