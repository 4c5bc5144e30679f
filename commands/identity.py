"""The identity context's write side: sign-in, profiles, roles, disable, erase.

Each handler takes a command message (who acts, in which request, what they ask),
loads the aggregates it changes afresh, lets the domain decide and saves, retrying on
a stale write (``SpotlightApplication.execute``). Authorization is enforced at the HTTP
edge; handlers check again that admin-only changes come from an active admin.

Uniqueness without reading views: the user holding an (issuer, subject) is found
through an ``IdentityLink`` and the user holding a verified email through an
``EmailClaim``, both addressed by ids derived from what they name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from pydantic import BaseModel, ConfigDict, Field

from commands.base import CommandResult
from commands.personal_data import PersonalDataApplication
from domain.base import NotFoundError, acting_as
from domain.identity.email_claim import EmailClaim
from domain.identity.errors import (
    ActorNotAllowedError,
    UserDisabledError,
    UserErasedError,
)
from domain.identity.identity_link import IdentityLink
from domain.identity.user import User
from domain.identity.values import Address, Gender, LinkedIdentity, Profile, Role

# --- Command messages -----------------------------------------------------------


class Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    actor_id: str = Field(description="Who acts: a user id, or 'system'.")
    correlation_id: str


class SignIn(BaseModel):
    """A verified ID token's claims; creates the user on first sign-in."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    correlation_id: str
    issuer: str
    subject: str
    email: str | None = None
    email_verified: bool = False
    given_name: str | None = None
    family_name: str | None = None
    sign_up_roles: frozenset[Role] = frozenset()


class AddressFields(BaseModel):
    model_config = ConfigDict(frozen=True)

    line1: str
    line2: str | None = None
    city: str
    region: str | None = None
    postal_code: str | None = None
    country: str


class UpdateProfile(Command):
    """Only the fields set on the message change (``model_fields_set``)."""

    user_id: UUID
    first_name: str | None = None
    last_name: str | None = None
    date_of_birth: date | None = None
    address: AddressFields | None = None
    gender: Gender | None = None
    phone: str | None = None


class ChooseRole(Command):
    user_id: UUID
    role: Role


class GrantRole(Command):
    user_id: UUID
    role: Role


class RevokeRole(Command):
    user_id: UUID
    role: Role


class DisableUser(Command):
    user_id: UUID
    reason: str = Field(min_length=1, max_length=500)


class EnableUser(Command):
    user_id: UUID


class EraseUser(Command):
    user_id: UUID


class BootstrapAdmin(Command):
    email: str


_PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "address",
    "gender",
    "phone",
)


# --- Results --------------------------------------------------------------------


@dataclass(frozen=True)
class SignInOutcome:
    user_id: UUID
    roles: frozenset[Role]
    created: bool
    result: CommandResult


@dataclass(frozen=True)
class BootstrapOutcome:
    user_id: UUID
    action: Literal["created", "granted", "unchanged"]
    result: CommandResult


# --- The application ------------------------------------------------------------


TAggregate = TypeVar("TAggregate", bound=Aggregate)


class IdentityApplication(PersonalDataApplication):
    name = "identity"

    # -- Reading the write model ---------------------------------------------------

    def get_user(self, user_id: UUID) -> User:
        return self._get(User, user_id)

    def find_user_by_email(self, email: str) -> User | None:
        claim = self._find(EmailClaim, EmailClaim.id_for(email))
        if claim is None or claim.holder is None:
            return None
        return self.get_user(claim.holder)

    def _get(self, aggregate_type: type[TAggregate], aggregate_id: UUID) -> TAggregate:
        found = self._find(aggregate_type, aggregate_id)
        if found is None:
            raise NotFoundError("No such user.")
        return found

    def _find(
        self, aggregate_type: type[TAggregate], aggregate_id: UUID
    ) -> TAggregate | None:
        try:
            found: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        if not isinstance(found, aggregate_type):
            return None
        return found

    # -- Sign-in ---------------------------------------------------------------------

    def sign_in(self, command: SignIn) -> SignInOutcome:
        identity = LinkedIdentity(command.issuer, command.subject)
        outcome: dict[str, Any] = {}

        def decide() -> Sequence[Aggregate | None]:
            user, changed, created = self._user_signing_in(command, identity)
            outcome.update(user=user, created=created)
            return changed

        result = self.execute(decide)
        user: User = outcome["user"]
        return SignInOutcome(
            user_id=user.id,
            roles=frozenset(user.roles),
            created=bool(outcome["created"]),
            result=result,
        )

    def _user_signing_in(
        self, command: SignIn, identity: LinkedIdentity
    ) -> tuple[User, list[Aggregate], bool]:
        """Find the user for this identity, linking or creating as needed.

        The person signing in is the actor of what their sign-in records.
        """
        link = self._find(IdentityLink, IdentityLink.id_for(identity))
        if link is not None and link.holder is not None:
            user = self.get_user(link.holder)
            _require_can_sign_in(user)
            return user, [], False

        email = command.email if command.email_verified else None
        claim = self._find(EmailClaim, EmailClaim.id_for(email)) if email else None
        if claim is not None and claim.holder is not None:
            # The provider verified an email that this user's account holds.
            user = self.get_user(claim.holder)
            _require_can_sign_in(user)
            with acting_as(user.id, command.correlation_id):
                user.link_identity(identity)
                link = _claim_identity(link, identity, user.id)
            return user, [user, link], False

        user_id = uuid4()
        with acting_as(user_id, command.correlation_id):
            user = User.register(
                user_id,
                identity,
                email=command.email,
                email_verified=command.email_verified,
                first_name=command.given_name,
                last_name=command.family_name,
                roles=command.sign_up_roles,
            )
            changed: list[Aggregate] = [user, _claim_identity(link, identity, user_id)]
            if email:
                changed.append(_claim_email(claim, email, user_id))
        return user, changed, True

    # -- Profile and self-serve roles ------------------------------------------------

    def update_profile(self, command: UpdateProfile) -> CommandResult:
        provided = command.model_fields_set & set(_PROFILE_FIELDS)

        def decide() -> Sequence[Aggregate | None]:
            user = self.get_user(command.user_id)
            current = user.profile
            values = {name: getattr(current, name) for name in _PROFILE_FIELDS}
            for name in provided:
                values[name] = getattr(command, name)
            if "address" in provided and command.address is not None:
                values["address"] = Address(**command.address.model_dump())
            with acting_as(command.actor_id, command.correlation_id):
                user.update_profile(Profile(**values), today=_today())
            return [user]

        return self.execute(decide)

    def choose_role(self, command: ChooseRole) -> CommandResult:
        def decide() -> Sequence[Aggregate | None]:
            user = self.get_user(command.user_id)
            with acting_as(command.actor_id, command.correlation_id):
                user.choose_role(command.role)
            return [user]

        return self.execute(decide)

    # -- Admin -----------------------------------------------------------------------

    def grant_role(self, command: GrantRole) -> CommandResult:
        def decide() -> Sequence[Aggregate | None]:
            user, admin = self._user_and_actor(command.user_id, command.actor_id)
            with acting_as(command.actor_id, command.correlation_id):
                user.grant_role(command.role, granted_by=admin)
            return [user]

        return self.execute(decide)

    def revoke_role(self, command: RevokeRole) -> CommandResult:
        def decide() -> Sequence[Aggregate | None]:
            user, admin = self._user_and_actor(command.user_id, command.actor_id)
            with acting_as(command.actor_id, command.correlation_id):
                user.revoke_role(command.role, revoked_by=admin)
            return [user]

        return self.execute(decide)

    def disable(self, command: DisableUser) -> CommandResult:
        def decide() -> Sequence[Aggregate | None]:
            user, admin = self._user_and_actor(command.user_id, command.actor_id)
            with acting_as(command.actor_id, command.correlation_id):
                user.disable(command.reason, disabled_by=admin)
            return [user]

        return self.execute(decide)

    def enable(self, command: EnableUser) -> CommandResult:
        def decide() -> Sequence[Aggregate | None]:
            user, admin = self._user_and_actor(command.user_id, command.actor_id)
            with acting_as(command.actor_id, command.correlation_id):
                user.enable(enabled_by=admin)
            return [user]

        return self.execute(decide)

    def erase(self, command: EraseUser) -> CommandResult:
        """C1 delete: record the erasure, release the claims, destroy the key.

        The key goes last: if destroying it fails, running the command again finishes
        the job (the user is already erased, so nothing new is recorded).
        """

        def decide() -> Sequence[Aggregate | None]:
            user, actor = self._user_and_actor(command.user_id, command.actor_id)
            if user.erased:
                return []
            claims: list[Aggregate] = []
            for identity in user.identities:
                link = self._find(IdentityLink, IdentityLink.id_for(identity))
                if link is not None and link.holder == user.id:
                    claims.append(link)
            if user.email and user.email_verified:
                claim = self._find(EmailClaim, EmailClaim.id_for(user.email))
                if claim is not None and claim.holder == user.id:
                    claims.append(claim)
            with acting_as(command.actor_id, command.correlation_id):
                user.erase(erased_by=actor)
                for each in claims:
                    assert isinstance(each, IdentityLink | EmailClaim)
                    each.release()
            return [user, *claims]

        result = self.execute(decide)
        self.vault.destroy(command.user_id)
        return result

    def bootstrap_admin(self, command: BootstrapAdmin) -> BootstrapOutcome:
        """Make the user with this email an admin, creating them if need be."""
        outcome: dict[str, Any] = {}

        def decide() -> Sequence[Aggregate | None]:
            claim = self._find(EmailClaim, EmailClaim.id_for(command.email))
            with acting_as(command.actor_id, command.correlation_id):
                if claim is not None and claim.holder is not None:
                    user = self.get_user(claim.holder)
                    if user.disabled:
                        raise UserDisabledError("That account is disabled.")
                    if Role.ADMIN in user.roles:
                        outcome.update(user_id=user.id, action="unchanged")
                        return []
                    user.grant_admin_by_operator()
                    outcome.update(user_id=user.id, action="granted")
                    return [user]
                user = User.register_first_admin(uuid4(), command.email)
                outcome.update(user_id=user.id, action="created")
                return [user, _claim_email(claim, command.email, user.id)]

        result = self.execute(decide)
        return BootstrapOutcome(outcome["user_id"], outcome["action"], result)

    def _user_and_actor(self, user_id: UUID, actor_id: str) -> tuple[User, User]:
        user = self.get_user(user_id)
        if actor_id == str(user_id):
            return user, user
        try:
            actor = self.get_user(UUID(actor_id))
        except (ValueError, NotFoundError):
            # An unknown actor is treated as a user with no roles.
            raise ActorNotAllowedError("Only an admin may do this.") from None
        return user, actor


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
