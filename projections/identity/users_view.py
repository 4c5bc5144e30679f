"""The users view: one relational row per user, for lookups and admin lists.

PostgreSQL, or SQLite embedded. Each ``User`` event is folded into the row
(``user_info.fold_user_event``); an erased user's row is deleted. ``UsersReader``
is its typed reader: ``UserInfo`` rows of the live version's table.

The view and the user cache (``user_cache``) are separate projections so that Redis
being down only holds back the cache (which keeps retrying) while this view, which
requests fall back to, stays current.
"""

# Table names come from ViewNames (code), never from input; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from domain.identity.values import Address, Gender, Role
from ports.relational import RelationalStore, Row, SqlSession
from projections.contracts import ProjectedEvent, Projection, ViewNames
from projections.identity.user_info import (
    USER_TOPICS,
    UserInfo,
    fold_user_event,
)
from projections.identity.versions import LiveVersions

USERS_PROJECTION = "users"
USERS_TABLE = "users"

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
_SELECT = ", ".join(_COLUMNS)


def _row(user: UserInfo) -> tuple[Any, ...]:
    return (
        str(user.id),
        user.version,
        user.email,
        user.first_name,
        user.last_name,
        user.date_of_birth.isoformat() if user.date_of_birth else None,
        json.dumps(user.address.to_state()) if user.address else None,
        user.gender.value if user.gender else None,
        user.phone,
        # Delimited so "has role X" is a LIKE '%,X,%' on either dialect.
        "," + ",".join(sorted(role.value for role in user.roles)) + ",",
        1 if user.disabled else 0,
        user.created_at,
        user.updated_at,
    )


def _user(row: Row) -> UserInfo:
    values = dict(zip(_COLUMNS, row, strict=True))
    birth, address, gender = (
        values["date_of_birth"],
        values["address"],
        values["gender"],
    )
    return UserInfo(
        id=UUID(str(values["id"])),
        version=int(values["version"]),
        email=values["email"],
        first_name=values["first_name"],
        last_name=values["last_name"],
        date_of_birth=date.fromisoformat(birth) if birth else None,
        address=Address.from_state(json.loads(address)) if address else None,
        gender=Gender(gender) if gender else None,
        phone=values["phone"],
        roles=frozenset(Role(r) for r in str(values["roles"]).split(",") if r),
        disabled=bool(values["disabled"]),
        created_at=str(values["created_at"]),
        updated_at=str(values["updated_at"]),
    )


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
                f"SELECT {_SELECT} FROM {table} WHERE id = %s", (user_id,)
            )
            current = _user(row) if row else None
            if current is not None and current.version >= item.originator_version:
                continue
            folded = fold_user_event(current, item)
            session.execute(f"DELETE FROM {table} WHERE id = %s", (user_id,))
            if folded is not None:
                placeholders = ", ".join(["%s"] * len(_COLUMNS))
                session.execute(
                    f"INSERT INTO {table} ({_SELECT}) VALUES ({placeholders})",
                    _row(folded),
                )

    def drop(self, session: SqlSession) -> None:
        session.execute(f"DROP TABLE IF EXISTS {self.names.table(USERS_TABLE)}")


class UsersReader:
    """Users from the live version of the view, as ``UserInfo``."""

    def __init__(self, views: RelationalStore, versions: LiveVersions) -> None:
        self._views = views
        self._versions = versions

    def get(self, user_id: UUID) -> UserInfo | None:
        for attempt in (1, 2):
            table = self._table()  # outside the transaction: it may query too
            try:
                with self._views.transaction() as session:
                    row = session.fetchone(
                        f"SELECT {_SELECT} FROM {table} WHERE id = %s", (str(user_id),)
                    )
                return _user(row) if row else None
            except Exception:
                # A rebuild may have switched versions and dropped the old table:
                # look up the live version once more before giving up.
                if attempt == 2:
                    raise
                self._versions.forget(USERS_PROJECTION)
        return None

    def page(
        self, *, role: Role | None, after: str | None, limit: int
    ) -> list[UserInfo]:
        """Up to ``limit`` users ordered by id, after the id ``after``."""
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
                f"SELECT {_SELECT} FROM {table} {clause}ORDER BY id LIMIT %s",
                (*params, limit),
            )
        return [_user(row) for row in rows]

    def _table(self) -> str:
        version = self._versions.of(USERS_PROJECTION)
        return ViewNames(USERS_PROJECTION, version).table(USERS_TABLE)
