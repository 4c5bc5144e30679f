"""The in-app notification list: one row per (event, recipient), ids only.

Rows are derived from scheduling events (a meeting booked, not booked, cancelled; a
series joined) and, when those contexts run in this service, from onboarding and
careers events (a leader assigned, an NPO waiting for a leader, an NPO deleted...).
Events are matched by the end of their topic (``Aggregate.Event``), so this module
imports nothing of the other contexts.

A recipient is a user id, or ``role:ADMIN`` for the admins' shared list: each admin
still has their own read state. Reads are kept apart from the rows
(``notification_reads``), so a rebuild may apply the sources in any order.

A row's id derives from (originator id, version, recipient): stable across rebuilds,
so read receipts keep pointing at the right row.
"""

# Table names come from ViewNames (code), never from input; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from uuid import UUID, uuid5

from ports.relational import SqlSession
from projections.contracts import ProjectedEvent, Projection
from projections.scheduling import iso

NOTIFICATIONS_PROJECTION = "notifications"
ADMINS = "role:ADMIN"

# Sources besides "scheduling" whose events notify, when they run in this service.
OPTIONAL_SOURCES = ("onboarding", "careers")

_NOTIFICATION_IDS = UUID("5f8e0f0c-3b7a-4c1e-8d7e-2a9b6c4d1e30")


def notification_id(originator_id: UUID, version: int, recipient: str) -> str:
    return str(uuid5(_NOTIFICATION_IDS, f"{originator_id}:{version}:{recipient}"))


@dataclass(frozen=True)
class Notice:
    recipients: tuple[str, ...]
    kind: str
    payload: Mapping[str, Any]


def ids(event: Any, *names: str) -> list[str]:
    """The first attribute of ``names`` present, as a list of id strings."""
    for name in names:
        value = getattr(event, name, None)
        if value is None:
            continue
        if isinstance(value, list | tuple | set | frozenset):
            return [str(v) for v in value]
        return [str(value)]
    return []


def one_id(event: Any, *names: str) -> str | None:
    found = ids(event, *names)
    return found[0] if found else None


# --- What each event notifies ------------------------------------------------------
# Each function answers the notices for one kind of event; ``subjects`` are the
# attendees of meetings and series, and the members of NPOs, seen so far (kept in
# the view, so the notices need no other read model).

Subjects = Callable[[str], list[str]]
Rule = Callable[[ProjectedEvent, Subjects], Iterable[Notice]]


def _meeting_booked(item: ProjectedEvent, subjects: Subjects) -> Iterable[Notice]:
    meeting = str(item.originator_id)
    yield Notice(tuple(subjects(meeting)), "meeting_booked", {"meeting_id": meeting})


def _meeting_not_booked(item: ProjectedEvent, subjects: Subjects) -> Iterable[Notice]:
    meeting = str(item.originator_id)
    payload = {
        "meeting_id": meeting,
        "missing_availability": ids(item.event, "missing_availability"),
    }
    yield Notice((*subjects(meeting), ADMINS), "meeting_not_booked", payload)


def _meeting_cancelled(item: ProjectedEvent, subjects: Subjects) -> Iterable[Notice]:
    meeting = str(item.originator_id)
    yield Notice(tuple(subjects(meeting)), "meeting_cancelled", {"meeting_id": meeting})


def _series_created(item: ProjectedEvent, subjects: Subjects) -> Iterable[Notice]:
    organiser = ids(item.event, "organiser_id")
    series = str(item.originator_id)
    yield Notice(tuple(organiser), "series_joined", {"series_id": series})


def _series_cancelled(item: ProjectedEvent, subjects: Subjects) -> Iterable[Notice]:
    series = str(item.originator_id)
    yield Notice(tuple(subjects(series)), "series_cancelled", {"series_id": series})


def _series_joined(item: ProjectedEvent, subjects: Subjects) -> Iterable[Notice]:
    series = str(item.originator_id)
    joined = ids(item.event, "user_ids")
    yield Notice(tuple(joined), "series_joined", {"series_id": series})


def _leader_assigned(item: ProjectedEvent, subjects: Subjects) -> Iterable[Notice]:
    npo = str(item.originator_id)
    leader = one_id(item.event, "leader_id")
    members = ids(item.event, "member_ids") or subjects(npo)
    payload = {"npo_id": npo, "leader_id": leader}
    yield Notice(tuple(members), "leader_assigned", payload)
    if leader:
        yield Notice((leader,), "npo_assigned", {"npo_id": npo})


def _npo_waiting(item: ProjectedEvent, subjects: Subjects) -> Iterable[Notice]:
    npo = str(item.originator_id)
    payload = {"npo_id": npo, "community_id": one_id(item.event, "community_id")}
    yield Notice((ADMINS,), "npo_waiting_for_leader", payload)


def _npo_deleted(item: ProjectedEvent, subjects: Subjects) -> Iterable[Notice]:
    npo = str(item.originator_id)
    members = ids(item.event, "member_ids") or subjects(npo)
    yield Notice(tuple(members), "npo_deleted", {"npo_id": npo})


def _mentor_assigned(item: ProjectedEvent, subjects: Subjects) -> Iterable[Notice]:
    candidate = one_id(item.event, "candidate_id") or str(item.originator_id)
    mentor = one_id(item.event, "mentor_id")
    yield Notice(
        (candidate,),
        "mentor_assigned",
        {"candidate_id": candidate, "mentor_id": mentor},
    )
    if mentor:
        yield Notice((mentor,), "candidate_assigned", {"candidate_id": candidate})


RULES: dict[str, Rule] = {
    "Meeting.Booked": _meeting_booked,
    "Meeting.NoCommonSlot": _meeting_not_booked,
    "Meeting.Cancelled": _meeting_cancelled,
    "MeetingSeries.Created": _series_created,
    "MeetingSeries.AttendeesJoined": _series_joined,
    "MeetingSeries.Cancelled": _series_cancelled,
    # Onboarding: domain.onboarding.npo.Npo (members are remembered from
    # Registered / MemberAdded / MemberRemoved).
    "Npo.LeaderAssigned": _leader_assigned,
    "Npo.WaitingForLeader": _npo_waiting,
    "Npo.Deleted": _npo_deleted,
    # Careers.
    "Candidate.MentorAssigned": _mentor_assigned,
}


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
