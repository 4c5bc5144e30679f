"""Handlers of the community messages (CL4, A2), leaders and their caps (CL5), and
the platform's settings (default caps, offering categories)."""

from __future__ import annotations

from commands.base import Actor, CommandResult
from commands.onboarding.application import OnboardingApplication, UnitOfWork, run
from commands.onboarding.assignment import (
    require_communities,
    rosters_of_leader,
    serve,
)
from commands.onboarding.messages import (
    AddCategory,
    AddLeader,
    CreateCommunity,
    EnsureDefaultCommunity,
    RemoveLeader,
    SetLeaderCap,
    SetPolicy,
    UpdateCommunity,
)
from domain.base import NotAllowedError
from domain.onboarding import values as v
from domain.onboarding.community import Community
from domain.onboarding.leader import Leader, require_leader_role
from domain.onboarding.leader_roster import LeaderRoster
from domain.onboarding.round_robin import displace

LEADER_LEFT_REASON = "The leader left the community."


def _require_admin(actor: Actor) -> None:
    if not actor.holds(v.ROLE_ADMIN):
        raise NotAllowedError("Only an admin does this.")


def create_community(
    app: OnboardingApplication, command: CreateCommunity
) -> CommandResult:
    """A community leader or an admin (CL4, A2). The id comes first in ``ids``."""
    actor = command.actor

    def decide(unit: UnitOfWork) -> None:
        community = Community.found(
            actor.user_id, actor.roles, command.name, command.description, command.tags
        )
        unit.add(community)
        unit.add(LeaderRoster.open(community.id))
        unit.directory().list_community(community)

    return run(app, actor, decide)


def update_community(
    app: OnboardingApplication, command: UpdateCommunity
) -> CommandResult:
    """An admin, or the leader who founded it (``Community.update`` checks)."""
    actor = command.actor

    def decide(unit: UnitOfWork) -> None:
        community = unit.community(command.community_id)
        community.update(
            actor.user_id, actor.roles, command.name, command.description, command.tags
        )
        unit.directory().relist(community)

    return run(app, actor, decide)


def ensure_default_community(
    app: OnboardingApplication, command: EnsureDefaultCommunity
) -> CommandResult:
    """Make the default community exist (it is also made on first need)."""

    def decide(unit: UnitOfWork) -> None:
        unit.directory()

    return run(app, command.actor, decide)


def add_leader(app: OnboardingApplication, command: AddLeader) -> CommandResult:
    """An admin makes a COMMUNITY_LEADER lead a community (CL5: capped per leader).

    The newcomer's capacity goes at once to the community's waiting NPOs.
    """
    _require_admin(command.actor)
    user_id = command.user_id
    user_roles = app.roles_of(user_id)

    def decide(unit: UnitOfWork) -> None:
        (key,) = require_communities(unit, [str(command.community_id)])
        leader = unit.find(Leader, Leader.id_for(user_id))
        if leader is None:
            leader = unit.add(Leader.enrol(user_id, user_roles))
        else:
            require_leader_role(user_roles)
        leader.join(key, unit.policy().communities_per_leader)
        roster = unit.roster(key)
        roster.add_leader(user_id)
        serve(unit, [roster])

    return run(app, command.actor, decide, assignment=True)


def remove_leader(app: OnboardingApplication, command: RemoveLeader) -> CommandResult:
    """The leader leaves the community: its NPOs get other leaders of it (or wait,
    ahead of later NPOs); the capacity freed goes to the leader's other communities.
    """
    _require_admin(command.actor)
    user_id = command.user_id

    def decide(unit: UnitOfWork) -> None:
        (key,) = require_communities(unit, [str(command.community_id)])
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

    return run(app, command.actor, decide, assignment=True)


def set_leader_cap(app: OnboardingApplication, command: SetLeaderCap) -> CommandResult:
    """An admin sets a leader's own NPO cap (None: the platform default); a raise
    serves waiting NPOs at once."""
    _require_admin(command.actor)

    def decide(unit: UnitOfWork) -> None:
        unit.leader(command.user_id).set_cap(command.npo_cap)
        serve(unit, rosters_of_leader(unit, command.user_id))

    return run(app, command.actor, decide, assignment=True)


def set_policy(app: OnboardingApplication, command: SetPolicy) -> CommandResult:
    """An admin (``OnboardingPolicy.change`` checks) changes the platform's default
    caps; a raise serves every queue."""

    def decide(unit: UnitOfWork) -> None:
        policy = unit.policy_aggregate()
        policy.change(
            command.actor.roles,
            command.leader_npo_cap,
            command.communities_per_leader,
        )
        directory = unit.directory()
        serve(unit, [unit.roster(c) for c in directory.entries])

    return run(app, command.actor, decide, assignment=True)


def add_category(app: OnboardingApplication, command: AddCategory) -> CommandResult:
    """An admin (``Catalogue.add_category`` checks) extends the categories (#2)."""

    def decide(unit: UnitOfWork) -> None:
        unit.catalogue().add_category(command.actor.roles, command.slug, command.label)

    return run(app, command.actor, decide)
