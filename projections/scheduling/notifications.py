"""The in-app notification list: one row per (event, recipient), ids only.

``notifications`` holds the notices (``notices.py`` says which event notifies whom
of what), ``notification_reads`` each reader's read state (kept apart from the rows,
so a rebuild may apply the sources in any order; a notice shared by a role is read
by each of its readers separately) and ``notification_subjects`` the attendees of
meetings and series and the members of NPOs seen so far (so the notices need no
other read model). ``NotificationsReader`` reads them.
"""

# Table names come from ViewNames (code), never from input; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ports.relational import RelationalStore, SqlSession
from projections.contracts import ProjectedEvent, Projection
from projections.engine import live_names
from projections.scheduling.notices import (
    RULES,
    PayloadValue,
    ids,
    notification_id,
)
from projections.scheduling.storage import iso

NOTIFICATIONS_PROJECTION = "notifications"

# Sources besides "scheduling" whose events notify, when they run in this service.
OPTIONAL_SOURCES = ("onboarding", "careers")


class NotificationsProjection(Projection):
    """``notifications``, ``notification_reads`` and ``notification_subjects``."""

    name = NOTIFICATIONS_PROJECTION
    sources: ClassVar[tuple[str, ...]] = ("scheduling",)

    def _tables(self) -> tuple[str, str, str]:
        t = self.names.table
        return t("notifications"), t("notification_reads"), t("notification_subjects")

    def setup(self, session: SqlSession) -> None:
        rows, reads, subjects = self._tables()
        session.execute(
            f"CREATE TABLE IF NOT EXISTS {rows} ("
            "id TEXT PRIMARY KEY, user_id TEXT NOT NULL, kind TEXT NOT NULL, "
            "payload TEXT NOT NULL, created_at TEXT NOT NULL)"
        )
        session.execute(
            f"CREATE INDEX IF NOT EXISTS {rows}_inbox "
            f"ON {rows} (user_id, created_at, id)"
        )
        session.execute(
            f"CREATE TABLE IF NOT EXISTS {reads} ("
            "notification_id TEXT NOT NULL, user_id TEXT NOT NULL, "
            "read_at TEXT NOT NULL, PRIMARY KEY (notification_id, user_id))"
        )
        session.execute(
            f"CREATE TABLE IF NOT EXISTS {subjects} ("
            "subject_id TEXT NOT NULL, user_id TEXT NOT NULL, "
            "PRIMARY KEY (subject_id, user_id))"
        )

    def drop(self, session: SqlSession) -> None:
        for table in self._tables():
            session.execute(f"DROP TABLE IF EXISTS {table}")

    def apply(self, session: SqlSession, events: Sequence[ProjectedEvent]) -> None:
        rows, reads, subjects = self._tables()

        def attendees(subject: str) -> list[str]:
            return [
                str(r[0])
                for r in session.fetchall(
                    f"SELECT user_id FROM {subjects} WHERE subject_id = %s "
                    "ORDER BY user_id",
                    (subject,),
                )
            ]

        for item in events:
            suffix = item.topic.rpartition(":")[2]
            if suffix == "ReadReceipt.Read":
                self._read(session, reads, item)
                continue
            if suffix == "Erasure.Requested":
                self._erase(session, str(getattr(item.event, "user_id", "")))
                continue
            if suffix in {"Meeting.Requested", "MeetingSeries.Created"}:
                self._remember_subjects(session, subjects, item)
            elif suffix == "MeetingSeries.AttendeesJoined":
                self._remember(session, subjects, item, ids(item.event, "user_ids"))
            elif suffix == "MeetingSeries.AttendeesLeft":
                self._forget(session, subjects, item, ids(item.event, "user_ids"))
            elif suffix == "Npo.Registered":
                self._remember(session, subjects, item, ids(item.event, "creator_id"))
            elif suffix == "Npo.MemberAdded":
                self._remember(session, subjects, item, ids(item.event, "user_id"))
            elif suffix == "Npo.MemberRemoved":
                self._forget(session, subjects, item, ids(item.event, "user_id"))
            rule = RULES.get(suffix)
            if rule is None:
                continue
            created_at = iso(getattr(item.event, "timestamp", None))
            for notice in rule(item, attendees):
                payload = json.dumps(dict(notice.payload), sort_keys=True)
                session.executemany(
                    f"INSERT INTO {rows} (id, user_id, kind, payload, created_at) "
                    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
                    [
                        (
                            notification_id(
                                item.originator_id, item.originator_version, user
                            ),
                            user,
                            notice.kind,
                            payload,
                            created_at,
                        )
                        for user in dict.fromkeys(notice.recipients)
                    ],
                )

    def _erase(self, session: SqlSession, user_id: str) -> None:
        for table in self._tables():
            session.execute(f"DELETE FROM {table} WHERE user_id = %s", (user_id,))

    @staticmethod
    def _read(session: SqlSession, reads: str, item: ProjectedEvent) -> None:
        e: Any = item.event
        session.execute(
            f"INSERT INTO {reads} (notification_id, user_id, read_at) "
            "VALUES (%s, %s, %s) ON CONFLICT (notification_id, user_id) DO NOTHING",
            (e.notification_id, e.user_id, iso(e.timestamp)),
        )

    def _remember_subjects(
        self, session: SqlSession, table: str, item: ProjectedEvent
    ) -> None:
        e: Any = item.event
        groups = getattr(e, "party_groups", None)
        users = [u for g in groups for u in g] if groups else ids(e, "organiser_id")
        self._remember(session, table, item, users)

    @staticmethod
    def _forget(
        session: SqlSession, table: str, item: ProjectedEvent, users: list[str]
    ) -> None:
        session.executemany(
            f"DELETE FROM {table} WHERE subject_id = %s AND user_id = %s",
            [(str(item.originator_id), u) for u in users],
        )

    @staticmethod
    def _remember(
        session: SqlSession, table: str, item: ProjectedEvent, users: list[str]
    ) -> None:
        session.executemany(
            f"INSERT INTO {table} (subject_id, user_id) VALUES (%s, %s) "
            "ON CONFLICT (subject_id, user_id) DO NOTHING",
            [(str(item.originator_id), u) for u in dict.fromkeys(users)],
        )


def notification_projections(
    applications: Iterable[str],
) -> list[type[Projection]]:
    """The notifications projection over every notifying context that runs here.

    Adding a source later is safe: tracking is kept per source, so the new source
    is read from its beginning.
    """
    present = tuple(s for s in OPTIONAL_SOURCES if s in set(applications))

    class Notifications(NotificationsProjection):
        sources = ("scheduling", *present)

    return [Notifications]


# --- Reading -------------------------------------------------------------------------


@dataclass(frozen=True)
class NotificationRow:
    """A notice as one reader sees it: ``recipient`` is the reader or their role."""

    id: str
    kind: str
    payload: dict[str, PayloadValue]
    created_at: str
    read_at: str | None
    recipient: str


class NotificationsReader:
    """Reads the notification list's live tables (never writes)."""

    def __init__(self, store: RelationalStore) -> None:
        self._store = store

    def newest_first(
        self,
        reader_id: str,
        recipients: Sequence[str],
        *,
        limit: int,
        before: tuple[str, str] | None = None,
        unread_only: bool = False,
    ) -> list[NotificationRow]:
        """Up to ``limit`` notices to ``recipients``, with ``reader_id``'s read
        state, newest first; ``before`` is the (created_at, id) of the last seen."""
        marks = ", ".join(["%s"] * len(recipients))
        conditions = [f"n.user_id IN ({marks})"]
        params: list[Any] = [reader_id, *recipients]
        if before is not None:
            created_at, last_id = before
            conditions.append(
                "(n.created_at < %s OR (n.created_at = %s AND n.id < %s))"
            )
            params += [created_at, created_at, last_id]
        if unread_only:
            conditions.append("r.read_at IS NULL")
        with self._store.transaction() as session:
            names = live_names(session, NOTIFICATIONS_PROJECTION)
            rows = session.fetchall(
                "SELECT n.id, n.kind, n.payload, n.created_at, r.read_at, n.user_id "
                f"FROM {names.table('notifications')} n "
                f"LEFT JOIN {names.table('notification_reads')} r "
                "ON r.notification_id = n.id AND r.user_id = %s "
                f"WHERE {' AND '.join(conditions)} "
                "ORDER BY n.created_at DESC, n.id DESC LIMIT %s",
                [*params, limit],
            )
        return [
            NotificationRow(
                id=str(r[0]),
                kind=str(r[1]),
                payload=json.loads(r[2]),
                created_at=str(r[3]),
                read_at=str(r[4]) if r[4] is not None else None,
                recipient=str(r[5]),
            )
            for r in rows
        ]

    def recipient(self, notification_id: str) -> str | None:
        """Who a notice is addressed to (a user id or ``role:...``), if it exists."""
        with self._store.transaction() as session:
            table = live_names(session, NOTIFICATIONS_PROJECTION).table("notifications")
            row = session.fetchone(
                f"SELECT user_id FROM {table} WHERE id = %s", (notification_id,)
            )
        return str(row[0]) if row else None
