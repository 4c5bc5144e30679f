"""Handlers of the NPO messages: profile and members (NP1), verification (CL1),
approval and deletion (A3, A1), placement in communities (A2).

A registration id identifies one live NPO: creating an NPO claims its id
(``RegistrationClaim``) in the same save, changing the id moves the claim, deleting
the NPO releases it (``domain.onboarding.registration_claim``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from uuid import UUID

from eventsourcing.utils import get_topic

from commands.base import Actor, CommandResult
from commands.onboarding.application import OnboardingApplication, UnitOfWork, run
from commands.onboarding.assignment import (
    assign_in,
    is_complete,
    release_leader,
    require_communities,
    rosters_of_leader,
    serve,
)
from commands.onboarding.messages import (
    AddMember,
    ApproveNpo,
    ClaimRegistrationIds,
    CreateNpo,
    DeleteNpo,
    PlaceNpo,
    RecordVerification,
    RegistrationClaims,
    RemoveMember,
    UpdateNpo,
)
from domain.base import SYSTEM_ACTOR, InvalidFieldError, NotAllowedError
from domain.onboarding import values as v
from domain.onboarding.errors import RegistrationIdTakenError
from domain.onboarding.npo import Npo
from domain.onboarding.registration_claim import (
    RegistrationClaim,
    claim_registration,
    normalise_registration_id,
)
from domain.onboarding.values import Placement

NPO_DELETED_REASON = "The NPO was deleted."


def create_npo(app: OnboardingApplication, command: CreateNpo) -> CommandResult:
    """Only a user with the NPO role; the platform assigns the id (#8). Refused
    while another live NPO holds the registration id."""
    actor = command.actor

    def decide(unit: UnitOfWork) -> None:
        npo = unit.add(
            Npo.register(actor.user_id, actor.roles, command.profile), primary=True
        )
        _claim(unit, npo, actor.user_id)

    return run(app, actor, decide)


def update_npo(app: OnboardingApplication, command: UpdateNpo) -> CommandResult:
    """A new registration id is claimed (refused while another live NPO holds it)
    and the old one released; an unchanged one is claimed if nobody holds it (an
    NPO recorded before claims existed), and kept unclaimed if somebody does."""
    actor_id = command.actor.user_id

    def decide(unit: UnitOfWork) -> None:
        npo = unit.npo(command.npo_id)
        before = npo.profile.registration_id
        npo.update_profile(actor_id, command.profile)
        if _same_registration(before, npo.profile.registration_id):
            _claim_if_free(unit, npo, actor_id)
            return
        _claim(unit, npo, actor_id)
        _release(unit, npo, before)

    return run(app, command.actor, decide)


def add_member(app: OnboardingApplication, command: AddMember) -> CommandResult:
    """The user's roles are those the platform knows them to hold now."""
    user_roles = app.roles_of(command.user_id)

    def decide(unit: UnitOfWork) -> None:
        npo = unit.npo(command.npo_id)
        npo.add_member(command.actor.user_id, command.user_id, user_roles)

    return run(app, command.actor, decide)


def remove_member(app: OnboardingApplication, command: RemoveMember) -> CommandResult:
    def decide(unit: UnitOfWork) -> None:
        unit.npo(command.npo_id).remove_member(command.actor.user_id, command.user_id)

    return run(app, command.actor, decide)


def record_verification(
    app: OnboardingApplication, command: RecordVerification
) -> CommandResult:
    """A community leader, and the NPO's assigned one (the NPO checks that)."""
    actor = command.actor
    if not actor.holds(v.ROLE_COMMUNITY_LEADER):
        raise NotAllowedError("Only a community leader verifies NPOs.")

    def decide(unit: UnitOfWork) -> None:
        npo = unit.npo(command.npo_id)
        npo.record_verification(actor.user_id, command.status, command.reason)

    return run(app, actor, decide)


def approve_npo(app: OnboardingApplication, command: ApproveNpo) -> CommandResult:
    """An admin approves a verified NPO (A3): its offerings become visible."""

    def decide(unit: UnitOfWork) -> None:
        unit.npo(command.npo_id).approve(command.actor.roles)

    return run(app, command.actor, decide)


def delete_npo(app: OnboardingApplication, command: DeleteNpo) -> CommandResult:
    """An admin deletes an NPO (``Npo.delete`` checks it): offerings down, members
    told (by the event), the leader's slot freed and given to the longest-waiting
    NPO."""

    def decide(unit: UnitOfWork) -> None:
        npo = unit.npo(command.npo_id)
        leader_id = npo.leader_id
        release_leader(unit, npo)
        npo.delete(command.actor.roles, command.reason)
        _release(unit, npo, npo.profile.registration_id)
        for offering_id in npo.offering_ids:
            unit.offering(offering_id).take_down(None, NPO_DELETED_REASON)
        # Offerings not yet recorded are taken down when their message arrives.
        if leader_id is not None:
            serve(unit, rosters_of_leader(unit, leader_id))

    return run(app, command.actor, decide, assignment=True)


def place_npo(app: OnboardingApplication, command: PlaceNpo) -> CommandResult:
    """An admin places an NPO (A2). The first community is where its leader comes
    from; a waiting NPO moves to that community's queue (or gets a leader there);
    an NPO that has a leader keeps them."""
    if not command.actor.holds(v.ROLE_ADMIN):
        raise NotAllowedError("Only an admin places NPOs in communities.")

    def decide(unit: UnitOfWork) -> None:
        chosen = require_communities(unit, command.community_ids)
        npo = unit.npo(command.npo_id)
        waiting_in = npo.waiting_in
        npo.place(Placement(tuple(chosen)), by_admin=True)
        if npo.leader_id is None and is_complete(npo):
            if waiting_in is not None and waiting_in != npo.primary_community_id:
                unit.roster(waiting_in).dequeue(str(npo.id))
            assert npo.primary_community_id is not None
            assign_in(unit, npo, npo.primary_community_id)

    return run(app, command.actor, decide, assignment=True)


def claim_registration_ids(
    app: OnboardingApplication, command: ClaimRegistrationIds
) -> RegistrationClaims:
    """The operator's backfill: each live NPO, oldest first, claims its id unless
    another live NPO holds it (reported as a duplicate; it keeps working). One
    save per NPO; interrupted, it is run again."""
    if command.actor.user_id != SYSTEM_ACTOR:
        raise NotAllowedError("Only the operator claims the NPOs' registration ids.")
    found: dict[str, list[str]] = {
        "claimed": [],
        "held": [],
        "duplicate": [],
        "unclaimable": [],
    }
    for npo_id in _npos_in_order(app):
        outcome = _claim_existing(app, command.actor, npo_id)
        if outcome is not None:
            found[outcome].append(str(npo_id))
    return RegistrationClaims(
        claimed=len(found["claimed"]),
        held=len(found["held"]),
        duplicates=tuple(found["duplicate"]),
        unclaimable=tuple(found["unclaimable"]),
    )


def _claim_existing(
    app: OnboardingApplication, actor: Actor, npo_id: UUID
) -> str | None:
    """Claim one NPO's id: "claimed", "held", "duplicate", "unclaimable", or None
    for a deleted NPO."""
    outcome: list[str] = []

    def decide(unit: UnitOfWork) -> None:
        outcome.clear()
        npo = unit.npo(npo_id)
        if npo.deleted:
            return
        try:
            claim_id = RegistrationClaim.id_for(npo.profile.registration_id)
        except InvalidFieldError:
            outcome.append("unclaimable")
            return
        claim = unit.peek(RegistrationClaim, claim_id)
        if claim is not None and claim.holder == npo.id:
            outcome.append("held")
            return
        try:
            _claim(unit, npo, actor.user_id)
        except RegistrationIdTakenError:
            outcome.append("duplicate")
            return
        outcome.append("claimed")

    run(app, actor, decide)
    return outcome[0] if outcome else None


def _npos_in_order(app: OnboardingApplication) -> Iterator[UUID]:
    """Every NPO ever created, in the order of creation (from the event log)."""
    # ``Npo`` has never moved: every ``Registered`` event is stored under this topic.
    registered = get_topic(Npo.Registered)
    start = 1
    while batch := app.recorder.select_notifications(
        start=start, limit=500, topics=[registered]
    ):
        for notification in batch:
            yield UUID(str(notification.originator_id))
        start = batch[-1].id + 1


# --- The registration id's claim ---------------------------------------------------


def _claim(unit: UnitOfWork, npo: Npo, actor_id: str) -> None:
    """Claim the NPO's registration id for it (``RegistrationIdTakenError`` while
    another live NPO holds it). The other NPO is only looked at: it is neither
    saved nor named in the result."""
    claim = unit.peek(
        RegistrationClaim, RegistrationClaim.id_for(npo.profile.registration_id)
    )
    holder = None
    if claim is not None and claim.holder is not None and claim.holder != npo.id:
        holder = unit.peek(Npo, claim.holder)
    claimed = claim_registration(claim, holder, npo, actor_id)
    if claimed.pending_events:
        unit.add(claimed)


def _claim_if_free(unit: UnitOfWork, npo: Npo, actor_id: str) -> None:
    """Claim an id the NPO already had, unless another live NPO holds it or it
    cannot be claimed at all (recorded before an id needed a letter or a digit)."""
    with suppress(RegistrationIdTakenError, InvalidFieldError):
        _claim(unit, npo, actor_id)


def _release(unit: UnitOfWork, npo: Npo, registration_id: str) -> None:
    """Let go of the NPO's claim on ``registration_id``, if it holds it."""
    try:
        claim_id = RegistrationClaim.id_for(registration_id)
    except InvalidFieldError:
        return  # no claim can have been made on it
    claim = unit.peek(RegistrationClaim, claim_id)
    if claim is not None and claim.holder == npo.id:
        claim.release()
        unit.add(claim)


def _same_registration(before: str, after: str) -> bool:
    if before == after:
        return True
    try:
        return normalise_registration_id(before) == normalise_registration_id(after)
    except InvalidFieldError:
        return False
