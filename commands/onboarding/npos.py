"""NPO commands: profile and members (NP1), verification (CL1), approval and
deletion (A3, A1), placement in communities (A2)."""

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
    assign_in,
    is_complete,
    release_leader,
    require_communities,
    rosters_of_leader,
    serve,
)
from domain.base import NotAllowedError
from domain.onboarding import values as v
from domain.onboarding.npo import Npo, VerificationStatus
from domain.onboarding.values import NpoProfile, Placement

NPO_DELETED_REASON = "The NPO was deleted."


def create_npo(
    app: OnboardingApplication, actor: Actor, profile: NpoProfile
) -> CommandResult:
    """Only a user with the NPO role; the platform assigns the id (#8)."""

    def decide(unit: UnitOfWork) -> None:
        unit.add(Npo.register(actor.user_id, actor.roles, profile))

    return run(app, actor, decide)


def update_npo(
    app: OnboardingApplication,
    actor: Actor,
    npo_id: UUID | str,
    profile: NpoProfile,
) -> CommandResult:
    def decide(unit: UnitOfWork) -> None:
        unit.npo(npo_id).update_profile(actor.user_id, profile)

    return run(app, actor, decide)


def add_member(
    app: OnboardingApplication,
    actor: Actor,
    npo_id: UUID | str,
    user_id: str,
    user_roles: Collection[str],
) -> CommandResult:
    """``user_roles``: the roles the identity context knows the user to hold."""

    def decide(unit: UnitOfWork) -> None:
        unit.npo(npo_id).add_member(actor.user_id, user_id, user_roles)

    return run(app, actor, decide)


def remove_member(
    app: OnboardingApplication, actor: Actor, npo_id: UUID | str, user_id: str
) -> CommandResult:
    def decide(unit: UnitOfWork) -> None:
        unit.npo(npo_id).remove_member(actor.user_id, user_id)

    return run(app, actor, decide)


def record_verification(
    app: OnboardingApplication,
    actor: Actor,
    npo_id: UUID | str,
    status: VerificationStatus,
    reason: str | None,
) -> CommandResult:
    """The assigned leader: VERIFIED, or FLAGGED with a reason (CL1)."""
    if v.ROLE_COMMUNITY_LEADER not in actor.roles:
        raise NotAllowedError("Only a community leader verifies NPOs.")

    def decide(unit: UnitOfWork) -> None:
        unit.npo(npo_id).record_verification(actor.user_id, status, reason)

    return run(app, actor, decide)


def approve_npo(
    app: OnboardingApplication, actor: Actor, npo_id: UUID | str
) -> CommandResult:
    """An admin approves a verified NPO (A3): its offerings become visible."""

    def decide(unit: UnitOfWork) -> None:
        unit.npo(npo_id).approve(actor.roles)

    return run(app, actor, decide)


def delete_npo(
    app: OnboardingApplication, actor: Actor, npo_id: UUID | str, reason: str | None
) -> CommandResult:
    """An admin deletes an NPO: offerings down, members told (by the event), the
    leader's slot freed and given to the longest-waiting NPO."""
    if v.ROLE_ADMIN not in actor.roles:
        raise NotAllowedError("Only an admin deletes an NPO.")

    def decide(unit: UnitOfWork) -> None:
        npo = unit.npo(npo_id)
        npo.require_alive()
        leader_id = npo.leader_id
        release_leader(unit, npo)
        npo.delete(actor.roles, reason)
        for offering_id in npo.offering_ids:
            offering = unit.offering(offering_id)
            offering.take_down(None, NPO_DELETED_REASON)
        # Offerings not yet recorded are taken down when their message arrives.
        if leader_id is not None:
            serve(unit, rosters_of_leader(unit, leader_id))

    return run(app, actor, decide, assignment=True)


def place_npo(
    app: OnboardingApplication,
    actor: Actor,
    npo_id: UUID | str,
    community_ids: list[str],
) -> CommandResult:
    """An admin places an NPO (A2). The first community is where its leader comes
    from; a waiting NPO moves to that community's queue (or gets a leader there);
    an NPO that has a leader keeps them."""
    if v.ROLE_ADMIN not in actor.roles:
        raise NotAllowedError("Only an admin places NPOs in communities.")

    def decide(unit: UnitOfWork) -> None:
        chosen = require_communities(unit, community_ids)
        npo = unit.npo(npo_id)
        waiting_in = npo.waiting_in
        npo.place(Placement(tuple(chosen)), by_admin=True)
        if npo.leader_id is None and is_complete(npo):
            if waiting_in is not None and waiting_in != npo.primary_community_id:
                unit.roster(waiting_in).dequeue(str(npo.id))
            assert npo.primary_community_id is not None
            assign_in(unit, npo, npo.primary_community_id)

    return run(app, actor, decide, assignment=True)
