"""The identity context's handlers: one function per message in ``messages.py``.

Each handler loads the aggregates it changes afresh, lets the domain decide and saves,
retrying on a stale write (``SpotlightApplication.execute``). Authorization is
checked at the HTTP edge and again here: a user changes only their own record, and
admin-only changes come from a user who is an active admin *now* (read from the write
model, not from the roles their token carried) or from the system (the operator's
command line, inbound messages).

What must follow a command happens here, after its events are saved, so every entry
point gets it: losing a role, being disabled or being erased revokes the user's
refresh tokens; erasure then destroys the user's personal-data key.

Uniqueness without reading views: the user holding an (issuer, subject) is found
through an ``IdentityLink`` and the user holding a verified email through an
``EmailClaim``, both addressed by ids derived from what they name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from commands.base import Actor, CommandResult
from commands.dispatch import HandlerTable
from commands.identity.application import IdentityApplication
from commands.identity.messages import (
    BootstrapAction,
    BootstrapAdmin,
    BootstrapOutcome,
    ChooseRole,
    DisableUser,
    EnableUser,
    EraseUser,
    GrantRole,
    RevokeRole,
    SignIn,
    SignInOutcome,
    UpdateProfile,
)
from domain.base import SYSTEM_ACTOR, NotFoundError, acting_as
from domain.claim import Claim
from domain.identity.email_claim import EmailClaim
from domain.identity.errors import (
    ActorNotAllowedError,
    UserDisabledError,
    UserErasedError,
)
from domain.identity.identity_link import IdentityLink
from domain.identity.user import OPERATOR, Operator, User
from domain.identity.values import (
    Address,
    LinkedIdentity,
    Profile,
    Role,
    claimed_email,
)

_PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "address",
    "gender",
    "phone",
)

# --- Sign-in and the first admin ------------------------------------------------


def sign_in(app: IdentityApplication, command: SignIn) -> SignInOutcome:
    identity = LinkedIdentity(command.issuer, command.subject)
    decided: list[tuple[User, bool]] = []

    def decide() -> Sequence[Aggregate | None]:
        user, changed, created = _user_signing_in(app, command, identity)
        decided.append((user, created))
        return changed

    result = app.execute(decide)
    user, created = decided[-1]
    return SignInOutcome(
        user_id=user.id, roles=frozenset(user.roles), created=created, result=result
    )


def _user_signing_in(
    app: IdentityApplication, command: SignIn, identity: LinkedIdentity
) -> tuple[User, list[Aggregate], bool]:
    """Find the user for this identity, linking or creating as needed.

    The person signing in is the actor of what their sign-in records.
    """
    correlation_id = command.actor.correlation_id
    link = app.find(IdentityLink, IdentityLink.id_for(identity))
    if link is not None and link.holder is not None:
        user = app.get_user(link.holder)
        _require_can_sign_in(user)
        return user, [], False

    claimed = claimed_email(command.email)
    email = claimed if command.email_verified else None
    claim = app.find(EmailClaim, EmailClaim.id_for(email)) if email else None
    if claim is not None and claim.holder is not None:
        # The provider verified an email that this user's account holds.
        user = app.get_user(claim.holder)
        _require_can_sign_in(user)
        with acting_as(user.id, correlation_id):
            user.link_identity(identity)
            link = _claim_identity(link, identity, user.id)
        return user, [user, link], False

    user_id = uuid4()
    with acting_as(user_id, correlation_id):
        user = User.register(
            user_id,
            identity,
            email=claimed,
            email_verified=command.email_verified and claimed is not None,
            first_name=command.given_name,
            last_name=command.family_name,
            roles=command.sign_up_roles,
        )
        changed: list[Aggregate] = [user, _claim_identity(link, identity, user_id)]
        if email:
            changed.append(_claim_email(claim, email, user_id))
    return user, changed, True


def bootstrap_admin(
    app: IdentityApplication, command: BootstrapAdmin
) -> BootstrapOutcome:
    """Make the user with this email an admin, creating them if need be."""
    decided: list[tuple[UUID, BootstrapAction]] = []

    def decide() -> Sequence[Aggregate | None]:
        claim = app.find(EmailClaim, EmailClaim.id_for(command.email))
        with acting_as(command.actor.user_id, command.actor.correlation_id):
            if claim is not None and claim.holder is not None:
                user = app.get_user(claim.holder)
                if user.disabled:
                    raise UserDisabledError("That account is disabled.")
                if Role.ADMIN in user.roles:
                    decided.append((user.id, "unchanged"))
                    return []
                user.grant_admin_by_operator()
                decided.append((user.id, "granted"))
                return [user]
            user = User.register_first_admin(uuid4(), command.email)
            decided.append((user.id, "created"))
            return [user, _claim_email(claim, command.email, user.id)]

    result = app.execute(decide)
    user_id, action = decided[-1]
    return BootstrapOutcome(user_id, action, result)


# --- The user's own record ------------------------------------------------------


def update_profile(app: IdentityApplication, command: UpdateProfile) -> CommandResult:
    provided = command.model_fields_set & set(_PROFILE_FIELDS)

    def change(user: User) -> None:
        current = user.profile
        values = {name: getattr(current, name) for name in _PROFILE_FIELDS}
        for name in provided:
            values[name] = getattr(command, name)
        if "address" in provided and command.address is not None:
            values["address"] = Address(**command.address.model_dump())
        user.update_profile(Profile(**values), today=_today())

    return _change_own(app, command.actor, command.user_id, change)


def choose_role(app: IdentityApplication, command: ChooseRole) -> CommandResult:
    return _change_own(
        app, command.actor, command.user_id, lambda user: user.choose_role(command.role)
    )


# --- An admin's (or the operator's) --------------------------------------------


def grant_role(app: IdentityApplication, command: GrantRole) -> CommandResult:
    return _change_user(
        app,
        command.actor,
        command.user_id,
        lambda user, admin: user.grant_role(command.role, granted_by=admin),
    )


def revoke_role(app: IdentityApplication, command: RevokeRole) -> CommandResult:
    result = _change_user(
        app,
        command.actor,
        command.user_id,
        lambda user, admin: user.revoke_role(command.role, revoked_by=admin),
    )
    app.refresh_tokens.revoke_all(command.user_id)
    return result


def disable_user(app: IdentityApplication, command: DisableUser) -> CommandResult:
    result = _change_user(
        app,
        command.actor,
        command.user_id,
        lambda user, admin: user.disable(command.reason, disabled_by=admin),
    )
    app.refresh_tokens.revoke_all(command.user_id)
    return result


def enable_user(app: IdentityApplication, command: EnableUser) -> CommandResult:
    return _change_user(
        app,
        command.actor,
        command.user_id,
        lambda user, admin: user.enable(enabled_by=admin),
    )


def erase_user(app: IdentityApplication, command: EraseUser) -> CommandResult:
    """C1 delete: record the erasure, release the claims, revoke the refresh tokens,
    destroy the key.

    The key goes last: if destroying it fails, running the command again finishes
    the job (the user is already erased, so nothing new is recorded).
    """
    actor = command.actor

    def decide() -> Sequence[Aggregate | None]:
        user, by = _user_and_actor(app, command.user_id, actor)
        if user.erased:
            return []
        claims: list[Claim] = []
        for identity in user.identities:
            link = app.find(IdentityLink, IdentityLink.id_for(identity))
            if link is not None and link.holder == user.id:
                claims.append(link)
        if user.email and user.email_verified:
            claim = app.find(EmailClaim, EmailClaim.id_for(user.email))
            if claim is not None and claim.holder == user.id:
                claims.append(claim)
        with acting_as(actor.user_id, actor.correlation_id):
            user.erase(erased_by=by)
            for each in claims:
                each.release()
        return [user, *claims]

    result = app.execute(decide)
    app.refresh_tokens.revoke_all(command.user_id)
    app.vault.destroy(command.user_id)
    return result


# --- Shared steps ---------------------------------------------------------------


def _change_own(
    app: IdentityApplication,
    actor: Actor,
    user_id: UUID,
    change: Callable[[User], None],
) -> CommandResult:
    """A change a user makes to their own record only."""
    if actor.user_id != str(user_id):
        raise ActorNotAllowedError("You may only change your own record.")

    def decide() -> Sequence[Aggregate | None]:
        user = app.get_user(user_id)
        with acting_as(actor.user_id, actor.correlation_id):
            change(user)
        return [user]

    return app.execute(decide)


def _change_user(
    app: IdentityApplication,
    actor: Actor,
    user_id: UUID,
    change: Callable[[User, User | Operator], None],
) -> CommandResult:
    """A change to a user that only an admin (or the operator) may make."""

    def decide() -> Sequence[Aggregate | None]:
        user, by = _user_and_actor(app, user_id, actor)
        with acting_as(actor.user_id, actor.correlation_id):
            change(user, by)
        return [user]

    return app.execute(decide)


def _user_and_actor(
    app: IdentityApplication, user_id: UUID, actor: Actor
) -> tuple[User, User | Operator]:
    """The user changed and who changes them, as the domain judges actors.

    The system acts as the ``OPERATOR``; an unknown actor is a user with no roles.
    """
    user = app.get_user(user_id)
    if actor.user_id == SYSTEM_ACTOR:
        return user, OPERATOR
    if actor.user_id == str(user_id):
        return user, user
    try:
        acting = app.get_user(UUID(actor.user_id))
    except (ValueError, NotFoundError):
        raise ActorNotAllowedError("Only an admin may do this.") from None
    return user, acting


def _require_can_sign_in(user: User) -> None:
    if user.erased:
        raise UserErasedError("This account was erased.")
    if user.disabled:
        raise UserDisabledError("This account is disabled.")


def _claim_identity(
    existing: IdentityLink | None, identity: LinkedIdentity, user_id: UUID
) -> IdentityLink:
    if existing is None:
        return IdentityLink.create(identity, user_id)
    existing.claim_for(user_id)  # released by an erased user: taken again
    return existing


def _claim_email(existing: EmailClaim | None, email: str, user_id: UUID) -> EmailClaim:
    if existing is None:
        return EmailClaim.create(email, user_id)
    existing.claim_for(user_id)
    return existing


def _today() -> date:
    return datetime.now(UTC).date()


HANDLERS = HandlerTable(
    IdentityApplication,
    {
        SignIn: sign_in,
        BootstrapAdmin: bootstrap_admin,
        UpdateProfile: update_profile,
        ChooseRole: choose_role,
        GrantRole: grant_role,
        RevokeRole: revoke_role,
        DisableUser: disable_user,
        EnableUser: enable_user,
        EraseUser: erase_user,
    },
)
