"""The typed reader of the NPOs' tables (``npos``): ``NpoRow``s, one NPO or a list."""

# Table names come from ViewNames (code), never from input; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from domain.onboarding.npo import RegistrationStatus, VerificationStatus
from domain.onboarding.values import NpoContact, NpoLocation, NpoProfile
from ports.relational import RelationalStore
from projections.engine import live_names
from projections.onboarding.npos import COMMUNITIES, MEMBERS, NPOS, OFFERINGS
from projections.onboarding.tables import NPOS_PROJECTION


@dataclass(frozen=True)
class NpoRow:
    """An NPO as the views know it. ``members``, ``community_ids`` and
    ``offering_ids`` are filled by ``NpoReader.get`` only (list rows leave them
    empty)."""

    id: str
    profile: NpoProfile
    creator_id: str
    registration_status: RegistrationStatus
    completed_at: str | None
    verification_status: VerificationStatus
    verification_reason: str | None
    verified_by: str | None
    approved: bool
    approved_at: str | None
    deleted: bool
    deleted_reason: str | None
    leader_id: str | None
    leader_community_id: str | None
    leader_assigned_at: str | None
    primary_community_id: str | None
    waiting_in: str | None
    waiting_since: str | None
    created_at: str
    updated_at: str
    version: int
    members: tuple[str, ...] = ()
    community_ids: tuple[str, ...] = ()
    offering_ids: tuple[str, ...] = ()

    @classmethod
    def of(cls, values: dict[str, Any]) -> NpoRow:
        """A row of ``onb_npos`` by column name."""
        profile = NpoProfile(
            name=values["name"],
            description=values["description"],
            registration_id=values["registration_id"],
            website=values["website"],
            location=NpoLocation.from_state(json.loads(values["location"])),
            contact=NpoContact.from_state(json.loads(values["contact"])),
            service_areas=tuple(json.loads(values["service_areas"])),
        )
        return cls(
            id=str(values["id"]),
            profile=profile,
            creator_id=values["creator_id"],
            registration_status=RegistrationStatus(values["registration_status"]),
            completed_at=values["completed_at"],
            verification_status=VerificationStatus(values["verification_status"]),
            verification_reason=values["verification_reason"],
            verified_by=values["verified_by"],
            approved=bool(values["approved"]),
            approved_at=values["approved_at"],
            deleted=bool(values["deleted"]),
            deleted_reason=values["deleted_reason"],
            leader_id=values["leader_id"],
            leader_community_id=values["leader_community_id"],
            leader_assigned_at=values["leader_assigned_at"],
            primary_community_id=values["primary_community_id"],
            waiting_in=values["waiting_in"],
            waiting_since=values["waiting_since"],
            created_at=values["created_at"],
            updated_at=values["updated_at"],
            version=int(values["version"]),
        )


@dataclass(frozen=True)
class NpoSelection:
    """Which NPOs a list shows; unset criteria do not filter."""

    member: str | None = None  # NPOs this user belongs to (deleted ones too)
    leader: str | None = None  # NPOs assigned to this leader now
    alive: bool = False  # leave deleted NPOs out
    registration: RegistrationStatus | None = None
    verification: VerificationStatus | None = None
    approved: bool | None = None
    waiting: bool | None = None  # waiting for a leader (or not)


class NpoReader:
    """Typed reads of the NPOs' tables."""

    def __init__(self, views: RelationalStore) -> None:
        self._views = views

    def get(self, npo_id: str) -> NpoRow | None:
        """The NPO with its members, communities and recorded offerings."""
        with self._views.transaction() as session:
            names = live_names(session, NPOS_PROJECTION)
            found = session.fetchone(
                f"SELECT {NPOS.select(names)} FROM {names.table(NPOS.base)} "
                "WHERE id = %s",
                (npo_id,),
            )
            if found is None:
                return None
            members = session.fetchall(
                f"SELECT user_id FROM {names.table(MEMBERS.base)} WHERE npo_id = %s "
                "ORDER BY added_at, user_id",
                (npo_id,),
            )
            communities = session.fetchall(
                f"SELECT community_id FROM {names.table(COMMUNITIES.base)} "
                "WHERE npo_id = %s ORDER BY rank",
                (npo_id,),
            )
            offerings = session.fetchall(
                f"SELECT offering_id FROM {names.table(OFFERINGS.base)} "
                "WHERE npo_id = %s ORDER BY recorded_at, offering_id",
                (npo_id,),
            )
        return dataclasses.replace(
            NpoRow.of(NPOS.record(found)),
            members=tuple(str(r[0]) for r in members),
            community_ids=tuple(str(r[0]) for r in communities),
            offering_ids=tuple(str(r[0]) for r in offerings),
        )

    def list(
        self, selection: NpoSelection, after: Sequence[str] | None, limit: int
    ) -> list[NpoRow]:
        """At most ``limit`` NPOs in creation order, after (created_at, id)."""
        with self._views.transaction() as session:
            names = live_names(session, NPOS_PROJECTION)
            npos = names.table(NPOS.base)
            source, clauses, params = npos, ["1 = 1"], list[Any]()
            if selection.member is not None:
                members = names.table(MEMBERS.base)
                source = f"{npos} JOIN {members} m ON m.npo_id = {npos}.id"
                clauses.append("m.user_id = %s")
                params.append(selection.member)
            if selection.leader is not None:
                clauses.append(f"{npos}.leader_id = %s")
                params.append(selection.leader)
            if selection.alive:
                clauses.append(f"{npos}.deleted = 0")
            for column, value in (
                ("registration_status", selection.registration),
                ("verification_status", selection.verification),
            ):
                if value is not None:
                    clauses.append(f"{npos}.{column} = %s")
                    params.append(value.value)
            if selection.approved is not None:
                clauses.append(f"{npos}.approved = %s")
                params.append(1 if selection.approved else 0)
            if selection.waiting is not None:
                clauses.append(
                    f"{npos}.waiting_in IS {'NOT ' if selection.waiting else ''}NULL"
                )
            if after is not None:
                clauses.append(f"({npos}.created_at, {npos}.id) > (%s, %s)")
                params.extend(after)
            rows = session.fetchall(
                f"SELECT {NPOS.select(names, qualified=True)} FROM {source} "
                f"WHERE {' AND '.join(clauses)} "
                f"ORDER BY {npos}.created_at, {npos}.id LIMIT %s",
                (*params, limit),
            )
        return [NpoRow.of(NPOS.record(r)) for r in rows]

    def npo_of_offering(self, offering_id: str) -> str | None:
        """The offering flow's mapping: which NPO an offering was recorded for."""
        with self._views.transaction() as session:
            names = live_names(session, NPOS_PROJECTION)
            found = session.fetchone(
                f"SELECT npo_id FROM {names.table(OFFERINGS.base)} "
                "WHERE offering_id = %s",
                (offering_id,),
            )
        return str(found[0]) if found else None
