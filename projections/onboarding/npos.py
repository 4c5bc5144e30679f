"""The onboarding context's relational views (PostgreSQL; SQLite when embedded).

One projection, ``onboarding_npos``, keeps every table below, so a batch changes them
together with its tracked position in one transaction (exactly once):

- ``onb_npos``: one row per NPO: profile, registration and verification status,
  approval, leader, primary community, waiting state. Reports (NP5, CL6) read it.
- ``onb_npo_members``: who may edit an NPO (and who is told when it is deleted).
- ``onb_npo_offerings``: the Kafka flow's offering → NPO mapping.
- ``onb_npo_communities``: the communities an NPO is placed in.
- ``onb_communities``, ``onb_community_leaders``, ``onb_leaders``: communities, who
  leads them, each leader's cap and active NPOs.
- ``onb_waiting``: NPOs waiting for a leader, per community, in serving order.
- ``onb_categories``, ``onb_policy``: the offering categories and the default caps.
"""

# Table names come from ViewNames (code), never from input; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, ClassVar

from domain.onboarding.catalogue import DEFAULT_CATEGORIES
from domain.onboarding.onboarding_policy import (
    DEFAULT_COMMUNITIES_PER_LEADER,
    DEFAULT_LEADER_NPO_CAP,
)
from domain.onboarding.values import NpoProfile
from ports.relational import SqlSession
from projections.contracts import ProjectedEvent, Projection

NPOS_PROJECTION = "onboarding_npos"

TABLES = (
    "onb_npos",
    "onb_npo_members",
    "onb_npo_offerings",
    "onb_npo_communities",
    "onb_communities",
    "onb_community_leaders",
    "onb_leaders",
    "onb_waiting",
    "onb_categories",
    "onb_policy",
    "onb_ids",
)


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _when(item: ProjectedEvent) -> str:
    timestamp = getattr(item.event, "timestamp", None)
    if isinstance(timestamp, datetime):
        return timestamp.isoformat(timespec="microseconds")
    return ""


def _f(item: ProjectedEvent, name: str) -> Any:
    """A field of the event (decoded on first use)."""
    return getattr(item.event, name)


def _suffix(item: ProjectedEvent) -> str:
    return item.topic.rpartition(":")[2]


class NposView(Projection):
    name = NPOS_PROJECTION
    sources: ClassVar[tuple[str, ...]] = ("onboarding",)

    def t(self, base: str) -> str:
        return self.names.table(base)

    def setup(self, session: SqlSession) -> None:
        t = self.t
        statements = [
            f"""CREATE TABLE IF NOT EXISTS {t("onb_npos")} (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                description TEXT,
                registration_id TEXT NOT NULL,
                website TEXT,
                region TEXT,
                location TEXT NOT NULL,
                contact TEXT NOT NULL,
                service_areas TEXT NOT NULL,
                creator_id TEXT NOT NULL,
                registration_status TEXT NOT NULL,
                completed_at TEXT,
                verification_status TEXT NOT NULL,
                verification_reason TEXT,
                verified_by TEXT,
                approved INTEGER NOT NULL DEFAULT 0,
                approved_at TEXT,
                deleted INTEGER NOT NULL DEFAULT 0,
                deleted_reason TEXT,
                leader_id TEXT,
                leader_community_id TEXT,
                leader_assigned_at TEXT,
                primary_community_id TEXT,
                waiting_in TEXT,
                waiting_since TEXT,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                version INTEGER NOT NULL
            )""",
            f"CREATE INDEX IF NOT EXISTS {t('onb_npos')}_leader "
            f"ON {t('onb_npos')} (leader_id)",
            f"""CREATE TABLE IF NOT EXISTS {t("onb_npo_members")} (
                npo_id TEXT NOT NULL,
                user_id TEXT NOT NULL,
                added_at TEXT NOT NULL,
                PRIMARY KEY (npo_id, user_id)
            )""",
            f"CREATE INDEX IF NOT EXISTS {t('onb_npo_members')}_user "
            f"ON {t('onb_npo_members')} (user_id)",
            f"""CREATE TABLE IF NOT EXISTS {t("onb_npo_offerings")} (
                offering_id TEXT PRIMARY KEY,
                npo_id TEXT NOT NULL,
                recorded_at TEXT NOT NULL
            )""",
            f"CREATE INDEX IF NOT EXISTS {t('onb_npo_offerings')}_npo "
            f"ON {t('onb_npo_offerings')} (npo_id)",
            f"""CREATE TABLE IF NOT EXISTS {t("onb_npo_communities")} (
                npo_id TEXT NOT NULL,
                community_id TEXT NOT NULL,
                rank INTEGER NOT NULL,
                PRIMARY KEY (npo_id, community_id)
            )""",
            f"""CREATE TABLE IF NOT EXISTS {t("onb_communities")} (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                description TEXT,
                tags TEXT NOT NULL,
                is_default INTEGER NOT NULL,
                founded_by TEXT NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            )""",
            f"""CREATE TABLE IF NOT EXISTS {t("onb_community_leaders")} (
                community_id TEXT NOT NULL,
                leader_id TEXT NOT NULL,
                joined_at TEXT NOT NULL,
                PRIMARY KEY (community_id, leader_id)
            )""",
            f"""CREATE TABLE IF NOT EXISTS {t("onb_leaders")} (
                leader_id TEXT PRIMARY KEY,
                npo_cap INTEGER,
                active_npos INTEGER NOT NULL DEFAULT 0
            )""",
            f"""CREATE TABLE IF NOT EXISTS {t("onb_waiting")} (
                community_id TEXT NOT NULL,
                npo_id TEXT NOT NULL,
                since TEXT NOT NULL,
                PRIMARY KEY (community_id, npo_id)
            )""",
            f"""CREATE TABLE IF NOT EXISTS {t("onb_categories")} (
                slug TEXT PRIMARY KEY,
                label TEXT NOT NULL
            )""",
            # Rosters and leaders have derived ids; their first event names what
            # they belong to (a community, a user), remembered here.
            f"""CREATE TABLE IF NOT EXISTS {t("onb_ids")} (
                aggregate_id TEXT PRIMARY KEY,
                owner TEXT NOT NULL
            )""",
            f"""CREATE TABLE IF NOT EXISTS {t("onb_policy")} (
                id INTEGER PRIMARY KEY,
                leader_npo_cap INTEGER NOT NULL,
                communities_per_leader INTEGER NOT NULL
            )""",
        ]
        for statement in statements:
            session.execute(statement)
        # The defaults hold until an admin changes them.
        session.executemany(
            f"INSERT INTO {t('onb_categories')} (slug, label) VALUES (%s, %s) "
            "ON CONFLICT (slug) DO NOTHING",
            list(DEFAULT_CATEGORIES.items()),
        )
        session.execute(
            f"INSERT INTO {t('onb_policy')} (id, leader_npo_cap, "
            "communities_per_leader) VALUES (1, %s, %s) ON CONFLICT (id) DO NOTHING",
            (DEFAULT_LEADER_NPO_CAP, DEFAULT_COMMUNITIES_PER_LEADER),
        )

    def drop(self, session: SqlSession) -> None:
        for base in TABLES:
            session.execute(f"DROP TABLE IF EXISTS {self.t(base)}")

    def apply(self, session: SqlSession, events: Sequence[ProjectedEvent]) -> None:
        for item in events:
            handler = _HANDLERS.get(_suffix(item))
            if handler is not None:
                handler(self, session, item)

    # -- NPOs --------------------------------------------------------------------

    def _touch(self, session: SqlSession, item: ProjectedEvent, **columns: Any) -> None:
        assignments = "".join(f", {name} = %s" for name in columns)
        session.execute(
            f"UPDATE {self.t('onb_npos')} SET updated_at = %s, version = %s"
            f"{assignments} WHERE id = %s",
            (
                _when(item),
                item.originator_version,
                *columns.values(),
                str(item.originator_id),
            ),
        )

    def _npo_registered(self, session: SqlSession, item: ProjectedEvent) -> None:
        profile = NpoProfile.from_state(_f(item, "profile"))
        creator: str = _f(item, "creator_id")
        npo_id, when = str(item.originator_id), _when(item)
        session.execute(
            f"INSERT INTO {self.t('onb_npos')} (id, name, description, "
            "registration_id, website, region, location, contact, service_areas, "
            "creator_id, registration_status, verification_status, created_at, "
            "updated_at, version) VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                npo_id,
                *_profile_columns(profile),
                creator,
                "PENDING",
                "UNVERIFIED",
                when,
                when,
                item.originator_version,
            ),
        )
        session.execute(
            f"INSERT INTO {self.t('onb_npo_members')} (npo_id, user_id, added_at) "
            "VALUES (%s, %s, %s)",
            (npo_id, creator, when),
        )

    def _npo_profile_updated(self, session: SqlSession, item: ProjectedEvent) -> None:
        values = _profile_columns(NpoProfile.from_state(_f(item, "profile")))
        names = (
            "name",
            "description",
            "registration_id",
            "website",
            "region",
            "location",
            "contact",
            "service_areas",
        )
        self._touch(session, item, **dict(zip(names, values, strict=True)))

    def _member_added(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._touch(session, item)
        session.execute(
            f"INSERT INTO {self.t('onb_npo_members')} (npo_id, user_id, added_at) "
            "VALUES (%s, %s, %s) ON CONFLICT (npo_id, user_id) DO NOTHING",
            (str(item.originator_id), _f(item, "user_id"), _when(item)),
        )

    def _member_removed(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._touch(session, item)
        session.execute(
            f"DELETE FROM {self.t('onb_npo_members')} "
            "WHERE npo_id = %s AND user_id = %s",
            (str(item.originator_id), _f(item, "user_id")),
        )

    def _offering_recorded(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._touch(session, item)
        session.execute(
            f"INSERT INTO {self.t('onb_npo_offerings')} "
            "(offering_id, npo_id, recorded_at) VALUES (%s, %s, %s) "
            "ON CONFLICT (offering_id) DO NOTHING",
            (_f(item, "offering_id"), str(item.originator_id), _when(item)),
        )

    def _registration_completed(
        self, session: SqlSession, item: ProjectedEvent
    ) -> None:
        self._touch(
            session,
            item,
            registration_status="COMPLETE",
            completed_at=_f(item, "completed_at"),
        )

    def _placed(self, session: SqlSession, item: ProjectedEvent) -> None:
        npo_id = str(item.originator_id)
        community_ids: list[str] = _f(item, "community_ids")
        self._touch(
            session,
            item,
            primary_community_id=_f(item, "primary_community_id"),
        )
        session.execute(
            f"DELETE FROM {self.t('onb_npo_communities')} WHERE npo_id = %s", (npo_id,)
        )
        session.executemany(
            f"INSERT INTO {self.t('onb_npo_communities')} (npo_id, community_id, rank) "
            "VALUES (%s, %s, %s)",
            [(npo_id, c, rank) for rank, c in enumerate(community_ids)],
        )

    def _leader_assigned(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._touch(
            session,
            item,
            leader_id=_f(item, "leader_id"),
            leader_community_id=_f(item, "community_id"),
            leader_assigned_at=_when(item),
            waiting_in=None,
            waiting_since=None,
        )

    def _waiting(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._touch(
            session,
            item,
            waiting_in=_f(item, "community_id"),
            waiting_since=_when(item),
        )

    def _leader_unassigned(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._touch(
            session,
            item,
            leader_id=None,
            leader_community_id=None,
            leader_assigned_at=None,
        )

    def _verified(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._touch(
            session,
            item,
            verification_status="VERIFIED",
            verification_reason=None,
            verified_by=_f(item, "leader_id"),
        )

    def _flagged(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._touch(
            session,
            item,
            verification_status="FLAGGED",
            verification_reason=_f(item, "reason"),
            verified_by=_f(item, "leader_id"),
        )

    def _approved(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._touch(session, item, approved=1, approved_at=_when(item))

    def _npo_deleted(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._touch(
            session,
            item,
            deleted=1,
            approved=0,
            deleted_reason=_f(item, "reason"),
            leader_id=None,
            leader_community_id=None,
            waiting_in=None,
            waiting_since=None,
        )

    # -- Communities, leaders, queues ------------------------------------------------

    def _community_founded(self, session: SqlSession, item: ProjectedEvent) -> None:
        when = _when(item)
        session.execute(
            f"INSERT INTO {self.t('onb_communities')} (id, name, description, tags, "
            "is_default, founded_by, created_at, updated_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (
                str(item.originator_id),
                _f(item, "name"),
                _f(item, "description"),
                _json(_f(item, "tags")),
                1 if _f(item, "is_default") else 0,
                _f(item, "founded_by"),
                when,
                when,
            ),
        )

    def _community_updated(self, session: SqlSession, item: ProjectedEvent) -> None:
        session.execute(
            f"UPDATE {self.t('onb_communities')} SET name = %s, description = %s, "
            "tags = %s, updated_at = %s WHERE id = %s",
            (
                _f(item, "name"),
                _f(item, "description"),
                _json(_f(item, "tags")),
                _when(item),
                str(item.originator_id),
            ),
        )

    def _remember_owner(
        self, session: SqlSession, item: ProjectedEvent, owner: str
    ) -> None:
        session.execute(
            f"INSERT INTO {self.t('onb_ids')} (aggregate_id, owner) VALUES (%s, %s) "
            "ON CONFLICT (aggregate_id) DO NOTHING",
            (str(item.originator_id), owner),
        )

    def _owner(self, session: SqlSession, item: ProjectedEvent) -> str:
        row = session.fetchone(
            f"SELECT owner FROM {self.t('onb_ids')} WHERE aggregate_id = %s",
            (str(item.originator_id),),
        )
        return str(row[0]) if row else ""

    def _roster_opened(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._remember_owner(session, item, _f(item, "community_id"))

    def _leader_joined(self, session: SqlSession, item: ProjectedEvent) -> None:
        community_id = self._owner(session, item)
        leader_id: str = _f(item, "leader_id")
        session.execute(
            f"INSERT INTO {self.t('onb_community_leaders')} "
            "(community_id, leader_id, joined_at) VALUES (%s, %s, %s) "
            "ON CONFLICT (community_id, leader_id) DO NOTHING",
            (community_id, leader_id, _when(item)),
        )

    def _leader_left(self, session: SqlSession, item: ProjectedEvent) -> None:
        session.execute(
            f"DELETE FROM {self.t('onb_community_leaders')} "
            "WHERE community_id = %s AND leader_id = %s",
            (
                self._owner(session, item),
                _f(item, "leader_id"),
            ),
        )

    def _queued(self, session: SqlSession, item: ProjectedEvent) -> None:
        session.execute(
            f"INSERT INTO {self.t('onb_waiting')} (community_id, npo_id, since) "
            "VALUES (%s, %s, %s) ON CONFLICT (community_id, npo_id) DO NOTHING",
            (
                self._owner(session, item),
                _f(item, "npo_id"),
                _f(item, "since"),
            ),
        )

    def _unqueued(self, session: SqlSession, item: ProjectedEvent) -> None:
        session.execute(
            f"DELETE FROM {self.t('onb_waiting')} "
            "WHERE community_id = %s AND npo_id = %s",
            (
                self._owner(session, item),
                _f(item, "npo_id"),
            ),
        )

    def _leader_enrolled(self, session: SqlSession, item: ProjectedEvent) -> None:
        user_id: str = _f(item, "user_id")
        self._remember_owner(session, item, user_id)
        session.execute(
            f"INSERT INTO {self.t('onb_leaders')} (leader_id, npo_cap, active_npos) "
            "VALUES (%s, NULL, 0) ON CONFLICT (leader_id) DO NOTHING",
            (user_id,),
        )

    def _cap_set(self, session: SqlSession, item: ProjectedEvent) -> None:
        session.execute(
            f"UPDATE {self.t('onb_leaders')} SET npo_cap = %s WHERE leader_id = %s",
            (_f(item, "npo_cap"), self._owner(session, item)),
        )

    def _npo_taken(self, session: SqlSession, item: ProjectedEvent) -> None:
        session.execute(
            f"UPDATE {self.t('onb_leaders')} SET active_npos = active_npos + 1 "
            "WHERE leader_id = %s",
            (self._owner(session, item),),
        )

    def _npo_released(self, session: SqlSession, item: ProjectedEvent) -> None:
        session.execute(
            f"UPDATE {self.t('onb_leaders')} SET active_npos = active_npos - 1 "
            "WHERE leader_id = %s",
            (self._owner(session, item),),
        )

    # -- Platform ----------------------------------------------------------------

    def _catalogue(self, session: SqlSession, item: ProjectedEvent) -> None:
        e = item.event
        categories: dict[str, str] = getattr(e, "categories", None) or {
            _f(item, "slug"): _f(item, "label")
        }
        session.executemany(
            f"INSERT INTO {self.t('onb_categories')} (slug, label) VALUES (%s, %s) "
            "ON CONFLICT (slug) DO UPDATE SET label = excluded.label",
            list(categories.items()),
        )

    def _policy(self, session: SqlSession, item: ProjectedEvent) -> None:
        session.execute(
            f"UPDATE {self.t('onb_policy')} SET leader_npo_cap = %s, "
            "communities_per_leader = %s WHERE id = 1",
            (
                _f(item, "leader_npo_cap"),
                _f(item, "communities_per_leader"),
            ),
        )


def _profile_columns(profile: NpoProfile) -> tuple[Any, ...]:
    return (
        profile.name,
        profile.description,
        profile.registration_id,
        profile.website,
        profile.location.region,
        _json(profile.location.to_state()),
        _json(profile.contact.to_state()),
        _json(list(profile.service_areas)),
    )


Handler = Callable[[NposView, SqlSession, ProjectedEvent], None]

_HANDLERS: dict[str, Handler] = {
    "Npo.Registered": NposView._npo_registered,
    "Npo.ProfileUpdated": NposView._npo_profile_updated,
    "Npo.MemberAdded": NposView._member_added,
    "Npo.MemberRemoved": NposView._member_removed,
    "Npo.OfferingRecorded": NposView._offering_recorded,
    "Npo.RegistrationCompleted": NposView._registration_completed,
    "Npo.Placed": NposView._placed,
    "Npo.LeaderAssigned": NposView._leader_assigned,
    "Npo.WaitingForLeader": NposView._waiting,
    "Npo.LeaderUnassigned": NposView._leader_unassigned,
    "Npo.Verified": NposView._verified,
    "Npo.Flagged": NposView._flagged,
    "Npo.Approved": NposView._approved,
    "Npo.Deleted": NposView._npo_deleted,
    "Community.Founded": NposView._community_founded,
    "Community.Updated": NposView._community_updated,
    "LeaderRoster.Opened": NposView._roster_opened,
    "LeaderRoster.LeaderJoined": NposView._leader_joined,
    "LeaderRoster.LeaderLeft": NposView._leader_left,
    "LeaderRoster.NpoQueued": NposView._queued,
    "LeaderRoster.NpoDequeued": NposView._unqueued,
    "LeaderRoster.NpoAssigned": NposView._unqueued,
    "Leader.Enrolled": NposView._leader_enrolled,
    "Leader.CapSet": NposView._cap_set,
    "Leader.NpoTaken": NposView._npo_taken,
    "Leader.NpoReleased": NposView._npo_released,
    "Catalogue.Started": NposView._catalogue,
    "Catalogue.CategoryAdded": NposView._catalogue,
    "OnboardingPolicy.Started": NposView._policy,
    "OnboardingPolicy.Changed": NposView._policy,
}
