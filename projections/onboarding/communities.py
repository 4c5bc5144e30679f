"""The communities' and leaders' tables (``Community``, ``LeaderRoster`` and
``Leader`` events) and their typed reader.

- ``onb_communities``: name, description, tags; which is the default.
- ``onb_community_leaders``: who leads which community, in joining order.
- ``onb_leaders``: each leader's own cap (if set) and active NPOs.
- ``onb_waiting``: NPOs waiting for a leader, per community, in serving order.
- ``onb_ids``: rosters and leaders have derived ids; their first event names what
  they belong to (a community, a user), remembered here.
"""

# Table names come from ViewNames (code), never from input; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ports.relational import RelationalStore, SqlSession
from projections.contracts import ProjectedEvent, ViewNames
from projections.engine import live_names
from projections.onboarding.platform import read_policy
from projections.onboarding.tables import (
    NPOS_PROJECTION,
    Table,
    TableGroup,
    field,
    to_json,
    when,
)

COMMUNITIES = Table(
    "onb_communities",
    (
        ("id", "TEXT PRIMARY KEY"),
        ("name", "TEXT NOT NULL"),
        ("description", "TEXT"),
        ("tags", "TEXT NOT NULL"),
        ("is_default", "INTEGER NOT NULL"),
        ("founded_by", "TEXT NOT NULL"),
        ("created_at", "TEXT NOT NULL"),
        ("updated_at", "TEXT NOT NULL"),
    ),
)
COMMUNITY_LEADERS = Table(
    "onb_community_leaders",
    (
        ("community_id", "TEXT NOT NULL"),
        ("leader_id", "TEXT NOT NULL"),
        ("joined_at", "TEXT NOT NULL"),
    ),
    ("PRIMARY KEY (community_id, leader_id)",),
)
LEADERS = Table(
    "onb_leaders",
    (
        ("leader_id", "TEXT PRIMARY KEY"),
        ("npo_cap", "INTEGER"),
        ("active_npos", "INTEGER NOT NULL DEFAULT 0"),
    ),
)
WAITING = Table(
    "onb_waiting",
    (
        ("community_id", "TEXT NOT NULL"),
        ("npo_id", "TEXT NOT NULL"),
        ("since", "TEXT NOT NULL"),
    ),
    ("PRIMARY KEY (community_id, npo_id)",),
)
OWNERS = Table(
    "onb_ids", (("aggregate_id", "TEXT PRIMARY KEY"), ("owner", "TEXT NOT NULL"))
)


class CommunityTables(TableGroup):
    """How community, roster and leader events change their tables."""

    tables = (COMMUNITIES, COMMUNITY_LEADERS, LEADERS, WAITING, OWNERS)

    # -- Communities ----------------------------------------------------------------

    def founded(self, session: SqlSession, item: ProjectedEvent) -> None:
        at, columns = when(item), COMMUNITIES.select(self.names)
        session.execute(
            f"INSERT INTO {self.t('onb_communities')} ({columns}) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (
                str(item.originator_id),
                field(item, "name"),
                field(item, "description"),
                to_json(field(item, "tags")),
                1 if field(item, "is_default") else 0,
                field(item, "founded_by"),
                at,
                at,
            ),
        )

    def updated(self, session: SqlSession, item: ProjectedEvent) -> None:
        session.execute(
            f"UPDATE {self.t('onb_communities')} SET name = %s, description = %s, "
            "tags = %s, updated_at = %s WHERE id = %s",
            (
                field(item, "name"),
                field(item, "description"),
                to_json(field(item, "tags")),
                when(item),
                str(item.originator_id),
            ),
        )

    # -- Whose is a roster or a leader ----------------------------------------------

    def _remember_owner(
        self, session: SqlSession, item: ProjectedEvent, owner: str
    ) -> None:
        session.execute(
            f"INSERT INTO {self.t('onb_ids')} (aggregate_id, owner) VALUES (%s, %s) "
            "ON CONFLICT (aggregate_id) DO NOTHING",
            (str(item.originator_id), owner),
        )

    def _owner(self, session: SqlSession, item: ProjectedEvent) -> str:
        found = session.fetchone(
            f"SELECT owner FROM {self.t('onb_ids')} WHERE aggregate_id = %s",
            (str(item.originator_id),),
        )
        return str(found[0]) if found else ""

    # -- Rosters --------------------------------------------------------------------

    def roster_opened(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._remember_owner(session, item, field(item, "community_id"))

    def leader_joined(self, session: SqlSession, item: ProjectedEvent) -> None:
        session.execute(
            f"INSERT INTO {self.t('onb_community_leaders')} "
            "(community_id, leader_id, joined_at) VALUES (%s, %s, %s) "
            "ON CONFLICT (community_id, leader_id) DO NOTHING",
            (self._owner(session, item), field(item, "leader_id"), when(item)),
        )

    def leader_left(self, session: SqlSession, item: ProjectedEvent) -> None:
        session.execute(
            f"DELETE FROM {self.t('onb_community_leaders')} "
            "WHERE community_id = %s AND leader_id = %s",
            (self._owner(session, item), field(item, "leader_id")),
        )

    def queued(self, session: SqlSession, item: ProjectedEvent) -> None:
        session.execute(
            f"INSERT INTO {self.t('onb_waiting')} (community_id, npo_id, since) "
            "VALUES (%s, %s, %s) ON CONFLICT (community_id, npo_id) DO NOTHING",
            (self._owner(session, item), field(item, "npo_id"), field(item, "since")),
        )

    def unqueued(self, session: SqlSession, item: ProjectedEvent) -> None:
        session.execute(
            f"DELETE FROM {self.t('onb_waiting')} "
            "WHERE community_id = %s AND npo_id = %s",
            (self._owner(session, item), field(item, "npo_id")),
        )

    # -- Leaders --------------------------------------------------------------------

    def leader_enrolled(self, session: SqlSession, item: ProjectedEvent) -> None:
        user_id: str = field(item, "user_id")
        self._remember_owner(session, item, user_id)
        session.execute(
            f"INSERT INTO {self.t('onb_leaders')} (leader_id, npo_cap, active_npos) "
            "VALUES (%s, NULL, 0) ON CONFLICT (leader_id) DO NOTHING",
            (user_id,),
        )

    def cap_set(self, session: SqlSession, item: ProjectedEvent) -> None:
        session.execute(
            f"UPDATE {self.t('onb_leaders')} SET npo_cap = %s WHERE leader_id = %s",
            (field(item, "npo_cap"), self._owner(session, item)),
        )

    def npo_taken(self, session: SqlSession, item: ProjectedEvent) -> None:
        session.execute(
            f"UPDATE {self.t('onb_leaders')} SET active_npos = active_npos + 1 "
            "WHERE leader_id = %s",
            (self._owner(session, item),),
        )

    def npo_released(self, session: SqlSession, item: ProjectedEvent) -> None:
        session.execute(
            f"UPDATE {self.t('onb_leaders')} SET active_npos = active_npos - 1 "
            "WHERE leader_id = %s",
            (self._owner(session, item),),
        )

    handlers: ClassVar = {
        "Community.Founded": founded,
        "Community.Updated": updated,
        "LeaderRoster.Opened": roster_opened,
        "LeaderRoster.LeaderJoined": leader_joined,
        "LeaderRoster.LeaderLeft": leader_left,
        "LeaderRoster.NpoQueued": queued,
        "LeaderRoster.NpoDequeued": unqueued,
        "LeaderRoster.NpoAssigned": unqueued,
        "Leader.Enrolled": leader_enrolled,
        "Leader.CapSet": cap_set,
        "Leader.NpoTaken": npo_taken,
        "Leader.NpoReleased": npo_released,
    }


# --- Reading -------------------------------------------------------------------------


@dataclass(frozen=True)
class CommunityRow:
    id: str
    name: str
    description: str | None
    tags: tuple[str, ...]
    is_default: bool
    founded_by: str
    created_at: str
    leaders: tuple[str, ...]  # in joining order
    waiting: tuple[str, ...]  # NPO ids in serving order


@dataclass(frozen=True)
class LeaderRow:
    leader_id: str
    npo_cap: int | None  # their own cap, if an admin set one
    effective_cap: int  # their own cap, else the platform's default
    active_npos: int
    communities: tuple[str, ...]  # in joining order


class CommunityReader:
    """Typed reads of the communities' and leaders' tables."""

    def __init__(self, views: RelationalStore) -> None:
        self._views = views

    def communities(self) -> list[CommunityRow]:
        """Every community, in founding order."""
        with self._views.transaction() as session:
            return self._communities(
                session, live_names(session, NPOS_PROJECTION), "", ()
            )

    def waiting_count(self) -> int:
        """How many NPOs wait for a leader, in every community (metrics)."""
        with self._views.transaction() as session:
            names = live_names(session, NPOS_PROJECTION)
            row = session.fetchone(f"SELECT COUNT(*) FROM {names.table(WAITING.base)}")
        return int(row[0]) if row else 0

    def community(self, community_id: str) -> CommunityRow | None:
        with self._views.transaction() as session:
            found = self._communities(
                session,
                live_names(session, NPOS_PROJECTION),
                "WHERE id = %s",
                (community_id,),
            )
        return found[0] if found else None

    def _communities(
        self,
        session: SqlSession,
        names: ViewNames,
        where: str,
        params: Sequence[Any],
    ) -> list[CommunityRow]:
        rows = session.fetchall(
            f"SELECT {COMMUNITIES.select(names)} "
            f"FROM {names.table(COMMUNITIES.base)} {where} ORDER BY created_at, id",
            params,
        )
        leaders: dict[str, list[str]] = {}
        for community_id, leader_id in session.fetchall(
            f"SELECT community_id, leader_id FROM "
            f"{names.table(COMMUNITY_LEADERS.base)} ORDER BY joined_at, leader_id"
        ):
            leaders.setdefault(str(community_id), []).append(str(leader_id))
        waiting: dict[str, list[str]] = {}
        for community_id, npo_id in session.fetchall(
            f"SELECT community_id, npo_id FROM {names.table(WAITING.base)} "
            "ORDER BY since, npo_id"
        ):
            waiting.setdefault(str(community_id), []).append(str(npo_id))
        found = []
        for row in rows:
            values = COMMUNITIES.record(row)
            key = str(values["id"])
            found.append(
                CommunityRow(
                    id=key,
                    name=str(values["name"]),
                    description=values["description"],
                    tags=tuple(json.loads(values["tags"])),
                    is_default=bool(values["is_default"]),
                    founded_by=str(values["founded_by"]),
                    created_at=str(values["created_at"]),
                    leaders=tuple(leaders.get(key, ())),
                    waiting=tuple(waiting.get(key, ())),
                )
            )
        return found

    def leaders(self) -> list[LeaderRow]:
        """Every leader, by user id, with their communities and effective cap."""
        with self._views.transaction() as session:
            names = live_names(session, NPOS_PROJECTION)
            default_cap = read_policy(session, names).leader_npo_cap
            communities: dict[str, list[str]] = {}
            for community_id, leader_id in session.fetchall(
                f"SELECT community_id, leader_id FROM "
                f"{names.table(COMMUNITY_LEADERS.base)} "
                "ORDER BY joined_at, community_id"
            ):
                communities.setdefault(str(leader_id), []).append(str(community_id))
            rows = session.fetchall(
                f"SELECT {LEADERS.select(names)} FROM {names.table(LEADERS.base)} "
                "ORDER BY leader_id"
            )
        found = []
        for row in rows:
            values = LEADERS.record(row)
            key, cap = str(values["leader_id"]), values["npo_cap"]
            found.append(
                LeaderRow(
                    leader_id=key,
                    npo_cap=cap,
                    effective_cap=cap if cap is not None else default_cap,
                    active_npos=int(values["active_npos"]),
                    communities=tuple(communities.get(key, ())),
                )
            )
        return found
