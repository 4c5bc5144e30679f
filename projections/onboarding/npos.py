"""The NPOs' tables (``Npo`` events) and their typed reader.

- ``onb_npos``: one row per NPO: profile, registration and verification status,
  approval, leader, primary community, waiting state. Reports (NP5, CL6) read it.
- ``onb_npo_members``: who may edit an NPO (and who is told when it is deleted).
- ``onb_npo_offerings``: the offering flow's offering → NPO mapping.
- ``onb_npo_communities``: the communities an NPO is placed in, in order.

They are read through ``npo_reader`` (typed rows).
"""

# Table names come from ViewNames (code), never from input; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

from typing import Any, ClassVar

from domain.onboarding.npo import RegistrationStatus, VerificationStatus
from domain.onboarding.values import NpoProfile
from ports.relational import SqlSession
from projections.contracts import ProjectedEvent
from projections.onboarding.tables import (
    Table,
    TableGroup,
    field,
    to_json,
    when,
)

NPOS = Table(
    "onb_npos",
    (
        ("id", "TEXT PRIMARY KEY"),
        ("name", "TEXT NOT NULL"),
        ("description", "TEXT"),
        ("registration_id", "TEXT NOT NULL"),
        ("website", "TEXT"),
        ("region", "TEXT"),
        ("location", "TEXT NOT NULL"),
        ("contact", "TEXT NOT NULL"),
        ("service_areas", "TEXT NOT NULL"),
        ("creator_id", "TEXT NOT NULL"),
        ("registration_status", "TEXT NOT NULL"),
        ("completed_at", "TEXT"),
        ("verification_status", "TEXT NOT NULL"),
        ("verification_reason", "TEXT"),
        ("verified_by", "TEXT"),
        ("approved", "INTEGER NOT NULL DEFAULT 0"),
        ("approved_at", "TEXT"),
        ("deleted", "INTEGER NOT NULL DEFAULT 0"),
        ("deleted_reason", "TEXT"),
        ("leader_id", "TEXT"),
        ("leader_community_id", "TEXT"),
        ("leader_assigned_at", "TEXT"),
        ("primary_community_id", "TEXT"),
        ("waiting_in", "TEXT"),
        ("waiting_since", "TEXT"),
        ("created_at", "TEXT NOT NULL"),
        ("updated_at", "TEXT NOT NULL"),
        ("version", "INTEGER NOT NULL"),
    ),
    indexes=(("leader", "leader_id"),),
)
MEMBERS = Table(
    "onb_npo_members",
    (
        ("npo_id", "TEXT NOT NULL"),
        ("user_id", "TEXT NOT NULL"),
        ("added_at", "TEXT NOT NULL"),
    ),
    ("PRIMARY KEY (npo_id, user_id)",),
    (("user", "user_id"),),
)
OFFERINGS = Table(
    "onb_npo_offerings",
    (
        ("offering_id", "TEXT PRIMARY KEY"),
        ("npo_id", "TEXT NOT NULL"),
        ("recorded_at", "TEXT NOT NULL"),
    ),
    indexes=(("npo", "npo_id"),),
)
COMMUNITIES = Table(
    "onb_npo_communities",
    (
        ("npo_id", "TEXT NOT NULL"),
        ("community_id", "TEXT NOT NULL"),
        ("rank", "INTEGER NOT NULL"),
    ),
    ("PRIMARY KEY (npo_id, community_id)",),
)

# The profile's columns of ``onb_npos``, in order.
PROFILE_COLUMNS = (
    "name",
    "description",
    "registration_id",
    "website",
    "region",
    "location",
    "contact",
    "service_areas",
)


def _profile_values(profile: NpoProfile) -> tuple[Any, ...]:
    return (
        profile.name,
        profile.description,
        profile.registration_id,
        profile.website,
        profile.location.region,
        to_json(profile.location.to_state()),
        to_json(profile.contact.to_state()),
        to_json(list(profile.service_areas)),
    )


class NpoTables(TableGroup):
    """How ``Npo`` events change the NPOs' tables."""

    tables = (NPOS, MEMBERS, OFFERINGS, COMMUNITIES)

    def _touch(self, session: SqlSession, item: ProjectedEvent, **columns: Any) -> None:
        assignments = "".join(f", {name} = %s" for name in columns)
        session.execute(
            f"UPDATE {self.t('onb_npos')} SET updated_at = %s, version = %s"
            f"{assignments} WHERE id = %s",
            (
                when(item),
                item.originator_version,
                *columns.values(),
                str(item.originator_id),
            ),
        )

    def registered(self, session: SqlSession, item: ProjectedEvent) -> None:
        profile = NpoProfile.from_state(field(item, "profile"))
        creator: str = field(item, "creator_id")
        npo_id, at = str(item.originator_id), when(item)
        columns = (
            "id",
            *PROFILE_COLUMNS,
            "creator_id",
            "registration_status",
            "verification_status",
            "created_at",
            "updated_at",
            "version",
        )
        session.execute(
            f"INSERT INTO {self.t('onb_npos')} ({', '.join(columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))})",
            (
                npo_id,
                *_profile_values(profile),
                creator,
                RegistrationStatus.PENDING.value,
                VerificationStatus.UNVERIFIED.value,
                at,
                at,
                item.originator_version,
            ),
        )
        session.execute(
            f"INSERT INTO {self.t('onb_npo_members')} (npo_id, user_id, added_at) "
            "VALUES (%s, %s, %s)",
            (npo_id, creator, at),
        )

    def profile_updated(self, session: SqlSession, item: ProjectedEvent) -> None:
        profile = NpoProfile.from_state(field(item, "profile"))
        columns = zip(PROFILE_COLUMNS, _profile_values(profile), strict=True)
        self._touch(session, item, **dict(columns))

    def member_added(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._touch(session, item)
        session.execute(
            f"INSERT INTO {self.t('onb_npo_members')} (npo_id, user_id, added_at) "
            "VALUES (%s, %s, %s) ON CONFLICT (npo_id, user_id) DO NOTHING",
            (str(item.originator_id), field(item, "user_id"), when(item)),
        )

    def member_removed(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._touch(session, item)
        session.execute(
            f"DELETE FROM {self.t('onb_npo_members')} "
            "WHERE npo_id = %s AND user_id = %s",
            (str(item.originator_id), field(item, "user_id")),
        )

    def offering_recorded(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._touch(session, item)
        session.execute(
            f"INSERT INTO {self.t('onb_npo_offerings')} "
            "(offering_id, npo_id, recorded_at) VALUES (%s, %s, %s) "
            "ON CONFLICT (offering_id) DO NOTHING",
            (field(item, "offering_id"), str(item.originator_id), when(item)),
        )

    def registration_completed(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._touch(
            session,
            item,
            registration_status=RegistrationStatus.COMPLETE.value,
            completed_at=field(item, "completed_at"),
        )

    def placed(self, session: SqlSession, item: ProjectedEvent) -> None:
        npo_id = str(item.originator_id)
        community_ids: list[str] = field(item, "community_ids")
        self._touch(
            session, item, primary_community_id=field(item, "primary_community_id")
        )
        session.execute(
            f"DELETE FROM {self.t('onb_npo_communities')} WHERE npo_id = %s", (npo_id,)
        )
        session.executemany(
            f"INSERT INTO {self.t('onb_npo_communities')} (npo_id, community_id, rank) "
            "VALUES (%s, %s, %s)",
            [(npo_id, c, rank) for rank, c in enumerate(community_ids)],
        )

    def leader_assigned(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._touch(
            session,
            item,
            leader_id=field(item, "leader_id"),
            leader_community_id=field(item, "community_id"),
            leader_assigned_at=when(item),
            waiting_in=None,
            waiting_since=None,
        )

    def waiting(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._touch(
            session,
            item,
            waiting_in=field(item, "community_id"),
            waiting_since=when(item),
        )

    def leader_unassigned(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._touch(
            session,
            item,
            leader_id=None,
            leader_community_id=None,
            leader_assigned_at=None,
        )

    def verified(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._touch(
            session,
            item,
            verification_status=VerificationStatus.VERIFIED.value,
            verification_reason=None,
            verified_by=field(item, "leader_id"),
        )

    def flagged(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._touch(
            session,
            item,
            verification_status=VerificationStatus.FLAGGED.value,
            verification_reason=field(item, "reason"),
            verified_by=field(item, "leader_id"),
        )

    def approved(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._touch(session, item, approved=1, approved_at=when(item))

    def deleted(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._touch(
            session,
            item,
            deleted=1,
            approved=0,
            deleted_reason=field(item, "reason"),
            leader_id=None,
            leader_community_id=None,
            waiting_in=None,
            waiting_since=None,
        )

    handlers: ClassVar = {
        "Npo.Registered": registered,
        "Npo.ProfileUpdated": profile_updated,
        "Npo.MemberAdded": member_added,
        "Npo.MemberRemoved": member_removed,
        "Npo.OfferingRecorded": offering_recorded,
        "Npo.RegistrationCompleted": registration_completed,
        "Npo.Placed": placed,
        "Npo.LeaderAssigned": leader_assigned,
        "Npo.WaitingForLeader": waiting,
        "Npo.LeaderUnassigned": leader_unassigned,
        "Npo.Verified": verified,
        "Npo.Flagged": flagged,
        "Npo.Approved": approved,
        "Npo.Deleted": deleted,
    }
