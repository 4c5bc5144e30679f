"""Community commands (CL4, A2, CL5), leader membership and caps, platform policy."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from commands.base import CommandResult
from commands.onboarding.application import (
    Actor,
    OnboardingApplication,
    UnitOfWork,
    run,
)
from commands.onboarding.assignment import (
    require_communities,
    rosters_of_leader,
    serve,
)
from domain.base import InvalidFieldError, NotAllowedError
from domain.onboarding import values as v
from domain.onboarding.community import Community
from domain.onboarding.leader import Leader
from domain.onboarding.leader_roster import LeaderRoster
from domain.onboarding.round_robin import displace

LEADER_LEFT_REASON = "The leader left the community."


def _require_admin(actor: Actor) -> None:
    if v.ROLE_ADMIN not in actor.roles:
        raise NotAllowedError("Only an admin does this.")


def create_community(
    app: OnboardingApplication,
    actor: Actor,
    *,
    name: str,
    description: str | None,
    tags: list[str],
) -> CommandResult:
    """A community leader or an admin (CL4, A2). The id comes first in ``ids``."""

    def decide(unit: UnitOfWork) -> None:
        community = Community.found(actor.user_id, actor.roles, name, description, tags)
        unit.add(community)
        unit.add(LeaderRoster.open(community.id))
        unit.directory().list_community(community)

    return run(app, actor, decide)


def update_community(
    app: OnboardingApplication,
    actor: Actor,
    community_id: UUID | str,
    *,
    name: str,
    description: str | None,
    tags: list[str],
) -> CommandResult:
    def decide(unit: UnitOfWork) -> None:
        community = unit.community(community_id)
        community.update(actor.user_id, actor.roles, name, description, tags)
        unit.directory().relist(community)

    return run(app, actor, decide)


def ensure_default_community(app: OnboardingApplication, actor: Actor) -> CommandResult:
    """Make the default community exist (it is also made on first need)."""

    def decide(unit: UnitOfWork) -> None:
        unit.directory()

    return run(app, actor, decide)


def add_leader(
    app: OnboardingApplication,
    actor: Actor,
    community_id: UUID | str,
    user_id: str,
    user_roles: Collection[str],
) -> CommandResult:
    """An admin makes a COMMUNITY_LEADER lead a community (CL5: capped per leader).

    The newcomer's capacity goes at once to the community's waiting NPOs.
    """
    _require_admin(actor)

    def decide(unit: UnitOfWork) -> None:
        (key,) = require_communities(unit, [str(community_id)])
        leader = unit.find(Leader, Leader.id_for(user_id))
        if leader is None:
            leader = unit.add(Leader.enrol(user_id, user_roles))
        elif v.ROLE_COMMUNITY_LEADER not in user_roles:
            raise InvalidFieldError(
                "user_id", "the user does not hold the COMMUNITY_LEADER role"
            )
        leader.join(key, unit.policy().communities_per_leader)
        roster = unit.roster(key)
        roster.add_leader(user_id)
        serve(unit, [roster])

    return run(app, actor, decide, assignment=True)


def remove_leader(
    app: OnboardingApplication,
    actor: Actor,
    community_id: UUID | str,
    user_id: str,
) -> CommandResult:
    """The leader leaves the community: its NPOs get other leaders of it (or wait,
    ahead of later NPOs); the capacity freed goes to the leader's other communities.
    """
    _require_admin(actor)

    def decide(unit: UnitOfWork) -> None:
        (key,) = require_communities(unit, [str(community_id)])
        roster = unit.roster(key)
        if user_id not in roster.leaders:
            return
        leader = unit.leader(user_id)
        displaced = displace(roster, leader, unit.npo, LEADER_LEFT_REASON)
        roster.remove_leader(user_id)
        leader.leave(key)
        serve(unit, [roster, *rosters_of_leader(unit, user_id)])
        for npo in displaced:
            if npo.leader_id is None:
                npo.start_waiting(key)

    return run(app, actor, decide, assignment=True)


def set_leader_cap(
    app: OnboardingApplication, actor: Actor, user_id: str, npo_cap: int | None
) -> CommandResult:
    """An admin sets a leader's own NPO cap (None: the platform default)."""
    _require_admin(actor)

    def decide(unit: UnitOfWork) -> None:
        unit.leader(user_id).set_cap(npo_cap)
        serve(unit, rosters_of_leader(unit, user_id))

    return run(app, actor, decide, assignment=True)


def set_policy(
    app: OnboardingApplication,
    actor: Actor,
    leader_npo_cap: int,
    communities_per_leader: int,
) -> CommandResult:
    """An admin changes the platform's default caps; a raise serves every queue."""
    _require_admin(actor)

    def decide(unit: UnitOfWork) -> None:
        policy = unit.policy_aggregate()
        policy.change(actor.roles, leader_npo_cap, communities_per_leader)
        directory = unit.directory()
        serve(unit, [unit.roster(c) for c in directory.entries])

    return run(app, actor, decide, assignment=True)


def add_category(
    app: OnboardingApplication, actor: Actor, slug: str, label: str
) -> CommandResult:
    """An admin extends the offering categories (#2)."""

    def decide(unit: UnitOfWork) -> None:
        unit.catalogue().add_category(actor.roles, slug, label)

    return run(app, actor, decide)
