"""Placing NPOs in communities and assigning them leaders (inside a decision).

These helpers run inside ``run(..., assignment=True)``: they load through the unit of
work, so everything they change is saved together.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from commands.onboarding.application import UnitOfWork
from domain.base import NotFoundError
from domain.onboarding.leader_roster import LeaderRoster
from domain.onboarding.npo import Npo, RegistrationStatus
from domain.onboarding.round_robin import assign_or_queue, serve_waiting


def assign_in(unit: UnitOfWork, npo: Npo, community_id: str) -> None:
    """Give the NPO the community's next leader under their cap, or queue it."""
    roster = unit.roster(community_id)
    assign_or_queue(npo, roster, unit.leaders_of(roster), unit.policy().leader_npo_cap)


def place_and_assign(unit: UnitOfWork, npo: Npo, tags: Iterable[str]) -> None:
    """After registration completes: place by tags (unless an admin did), assign."""
    directory = unit.directory()
    if not npo.community_ids:
        npo.place(directory.placement(tags), by_admin=False)
    assert npo.primary_community_id is not None
    assign_in(unit, npo, npo.primary_community_id)


def serve(unit: UnitOfWork, rosters: Iterable[LeaderRoster]) -> list[Npo]:
    """Give freed capacity in these communities to their waiting NPOs (FIFO)."""
    chosen = list({r.id: r for r in rosters}.values())
    if not any(r.waiting for r in chosen):
        return []
    return serve_waiting(
        chosen,
        unit.leaders_of(*chosen),
        unit.npo,
        unit.policy().leader_npo_cap,
    )


def rosters_of_leader(unit: UnitOfWork, user_id: str) -> list[LeaderRoster]:
    leader = unit.leader(user_id)
    return [unit.roster(c) for c in leader.communities]


def release_leader(unit: UnitOfWork, npo: Npo) -> None:
    """Free the NPO's leader slot (or its place in a queue) and serve the freed slot.

    Call before the change that ends the NPO's need for a leader.
    """
    npo_id = str(npo.id)
    if npo.leader_id is not None:
        leader = unit.leader(npo.leader_id)
        leader.release(npo_id)
        if npo.leader_community_id is not None:
            unit.roster(npo.leader_community_id).release(npo_id)
    if npo.waiting_in is not None:
        unit.roster(npo.waiting_in).dequeue(npo_id)


def require_communities(unit: UnitOfWork, community_ids: Iterable[str]) -> list[str]:
    directory = unit.directory()
    result = []
    for community_id in community_ids:
        try:
            key = str(UUID(str(community_id)))
        except ValueError:
            raise NotFoundError("No such community.") from None
        if not directory.has(key):
            raise NotFoundError("No such community.")
        result.append(key)
    return result


def is_complete(npo: Npo) -> bool:
    return npo.registration == RegistrationStatus.COMPLETE.value
