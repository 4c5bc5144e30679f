"""The user: a person who signs in, their profile, roles, identities and flags.

Lifecycle: ``register`` at the first sign-in (self-serve roles only), or
``register_first_admin`` when the operator names the first admin by email. Then, in
any order: identities are linked, the profile updated, roles chosen (self-serve),
granted or revoked (by an admin), the account disabled and enabled again (by an
admin). ``erase`` (the user themselves, unless they are an admin, or an admin) is
final: the personal fields are cleared and nothing changes any more.

Admin-only changes take who acts: an active admin ``User``, or the ``OPERATOR`` (the
platform acting as ``domain.base.SYSTEM_ACTOR``: the command line, inbound
messages), which may do what an admin may.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import event

from domain.base import SYSTEM_ACTOR, SpotlightAggregate
from domain.identity.errors import (
    ActorNotAllowedError,
    RoleNotSelfServeError,
    UserDisabledError,
    UserErasedError,
)
from domain.identity.values import (
    SELF_SERVE_ROLES,
    Address,
    Gender,
    LinkedIdentity,
    Profile,
    Role,
    claimed_name,
    normalise_email,
)
from domain.personal_data import CarriesPersonalData, is_erased
from domain.text import EMAIL, LONG_TEXT


@dataclass(frozen=True)
class Operator:
    """The platform's operator, acting as the system: may do what an admin may."""

    id: str = SYSTEM_ACTOR

    @property
    def is_admin(self) -> bool:
        return True


OPERATOR = Operator()


def _parse_date(value: object) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def _parse_gender(value: object) -> Gender | None:
    return Gender(value) if isinstance(value, str) and not is_erased(value) else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


class User(SpotlightAggregate):
    """A person who signs in: profile, roles, linked identities, flags."""

    class Registered(CarriesPersonalData, SpotlightAggregate.Created):
        personal_fields: ClassVar[frozenset[str]] = frozenset(
            {"email", "first_name", "last_name", "subject"}
        )
        email: str | None
        email_verified: bool
        first_name: str | None
        last_name: str | None
        roles: list[str]
        issuer: str | None
        subject: str | None

    @event(Registered)
    def __init__(
        self,
        *,
        email: str | None,
        email_verified: bool,
        first_name: str | None,
        last_name: str | None,
        roles: list[str],
        issuer: str | None,
        subject: str | None,
    ) -> None:
        self.email = email
        self.email_verified = email_verified
        self.first_name = first_name
        self.last_name = last_name
        self.date_of_birth: date | None = None
        self.address: Address | None = None
        self.gender: Gender | None = None
        self.phone: str | None = None
        self.roles: set[Role] = {Role(r) for r in roles}
        self.identities: list[LinkedIdentity] = []
        if issuer is not None and subject is not None:
            self.identities.append(LinkedIdentity(issuer, subject))
        self.disabled = False
        self.erased = False

    @classmethod
    def register(
        cls,
        user_id: UUID,
        identity: LinkedIdentity,
        *,
        email: str | None,
        email_verified: bool,
        first_name: str | None,
        last_name: str | None,
        roles: Iterable[Role] = (),
    ) -> User:
        """First sign-in: the user picks only self-serve roles.

        The names and email are what the provider claims: each is kept only when
        it is acceptable text, and dropped otherwise (``claimed_name``).
        """
        chosen = set(roles)
        if not chosen <= SELF_SERVE_ROLES:
            refused = ", ".join(sorted(chosen - SELF_SERVE_ROLES))
            raise RoleNotSelfServeError(f"Only an admin grants {refused}.")
        user: User = cls._create(
            cls.Registered,
            id=user_id,
            email=normalise_email(email) if email else None,
            email_verified=email_verified,
            first_name=claimed_name(first_name),
            last_name=claimed_name(last_name),
            roles=[role.value for role in sorted(chosen)],
            issuer=identity.issuer,
            subject=identity.subject,
        )
        return user

    @classmethod
    def register_first_admin(cls, user_id: UUID, email: str) -> User:
        """The operator names the first admin by email, before they ever sign in.

        The email counts as verified (the operator vouches for it): the first sign-in
        with an identity whose provider verified that email is linked to this user.
        """
        checked = EMAIL.required(email, "email")
        user: User = cls._create(
            cls.Registered,
            id=user_id,
            email=normalise_email(checked),
            email_verified=True,
            first_name=None,
            last_name=None,
            roles=[Role.ADMIN.value],
            issuer=None,
            subject=None,
        )
        return user

    # -- Queries on state ------------------------------------------------------------

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles and self.is_active

    @property
    def is_active(self) -> bool:
        return not self.disabled and not self.erased

    @property
    def profile(self) -> Profile:
        return Profile(
            first_name=self.first_name,
            last_name=self.last_name,
            date_of_birth=self.date_of_birth,
            address=self.address,
            gender=self.gender,
            phone=self.phone,
        )

    # -- Identities ------------------------------------------------------------------

    class IdentityLinked(CarriesPersonalData, SpotlightAggregate.Event):
        personal_fields: ClassVar[frozenset[str]] = frozenset({"subject"})
        issuer: str
        subject: str

    def link_identity(self, identity: LinkedIdentity) -> None:
        self._require_not_erased()
        if self.disabled:
            raise UserDisabledError("This account is disabled.")
        if identity not in self.identities:
            self._link_identity(identity.issuer, identity.subject)

    @event(IdentityLinked)
    def _link_identity(self, issuer: str, subject: str) -> None:
        self.identities.append(LinkedIdentity(issuer, subject))

    # -- Profile ---------------------------------------------------------------------

    class ProfileUpdated(CarriesPersonalData, SpotlightAggregate.Event):
        personal_fields: ClassVar[frozenset[str]] = frozenset(
            {"first_name", "last_name", "date_of_birth", "address", "gender", "phone"}
        )
        first_name: str | None
        last_name: str | None
        date_of_birth: str | None
        address: dict[str, Any] | None
        gender: str | None
        phone: str | None

    def update_profile(self, profile: Profile, today: date) -> None:
        """Replace the editable profile; no event when nothing changed."""
        self._require_active()
        profile = profile.checked(today)
        if profile == self.profile:
            return
        self._update_profile(
            first_name=profile.first_name,
            last_name=profile.last_name,
            date_of_birth=(
                profile.date_of_birth.isoformat() if profile.date_of_birth else None
            ),
            address=profile.address.to_state() if profile.address else None,
            gender=profile.gender.value if profile.gender else None,
            phone=profile.phone,
        )

    @event(ProfileUpdated)
    def _update_profile(
        self,
        *,
        first_name: str | None,
        last_name: str | None,
        date_of_birth: str | None,
        address: dict[str, Any] | None,
        gender: str | None,
        phone: str | None,
    ) -> None:
        self.first_name = _text(first_name)
        self.last_name = _text(last_name)
        self.date_of_birth = (
            None if is_erased(date_of_birth) else _parse_date(date_of_birth)
        )
        self.address = Address.from_state(address)
        self.gender = _parse_gender(gender)
        self.phone = _text(phone)

    # -- Roles -----------------------------------------------------------------------

    class RoleGranted(SpotlightAggregate.Event):
        role: str

    class RoleRevoked(SpotlightAggregate.Event):
        role: str

    def choose_role(self, role: Role) -> None:
        """A user adds a self-serve role (NPO or CANDIDATE) to themselves."""
        self._require_active()
        if role not in SELF_SERVE_ROLES:
            raise RoleNotSelfServeError(f"Only an admin grants {role}.")
        if role not in self.roles:
            self._grant_role(role.value)

    def grant_role(self, role: Role, granted_by: User | Operator) -> None:
        _require_admin(granted_by)
        self._require_not_erased()
        if role not in self.roles:
            self._grant_role(role.value)

    def grant_admin_by_operator(self) -> None:
        """``spotlight admin bootstrap``: the operator, not a user, grants ADMIN."""
        self._require_active()
        if Role.ADMIN not in self.roles:
            self._grant_role(Role.ADMIN.value)

    def revoke_role(self, role: Role, revoked_by: User | Operator) -> None:
        _require_admin(revoked_by)
        self._require_not_erased()
        if role is Role.ADMIN and revoked_by.id == self.id:
            # Refusing this keeps at least the acting admin able to fix mistakes.
            raise ActorNotAllowedError("An admin cannot revoke their own ADMIN role.")
        if role in self.roles:
            self._revoke_role(role.value)

    @event(RoleGranted)
    def _grant_role(self, role: str) -> None:
        self.roles.add(Role(role))

    @event(RoleRevoked)
    def _revoke_role(self, role: str) -> None:
        self.roles.discard(Role(role))

    # -- Disable, enable, erase ------------------------------------------------------

    class Disabled(SpotlightAggregate.Event):
        reason: str

    class Enabled(SpotlightAggregate.Event):
        pass

    class Erased(SpotlightAggregate.Event):
        pass

    def disable(self, reason: str, disabled_by: User | Operator) -> None:
        _require_admin(disabled_by)
        self._require_not_erased()
        if disabled_by.id == self.id:
            raise ActorNotAllowedError("An admin cannot disable their own account.")
        why = LONG_TEXT.required(reason, "reason")
        if not self.disabled:
            self._disable(why)

    def enable(self, enabled_by: User | Operator) -> None:
        _require_admin(enabled_by)
        self._require_not_erased()
        if self.disabled:
            self._enable()

    @event(Disabled)
    def _disable(self, reason: str) -> None:
        self.disabled = True

    @event(Enabled)
    def _enable(self) -> None:
        self.disabled = False

    def erase(self, erased_by: User | Operator) -> None:
        """C1 delete: by the user themselves or an admin. Irreversible.

        An admin cannot erase their own account (as they cannot disable it): another
        admin revokes their ADMIN role first, or the operator erases it.
        """
        if erased_by.id != self.id:
            _require_admin(erased_by)
        if self.erased:
            return
        if erased_by.id == self.id and Role.ADMIN in self.roles:
            raise ActorNotAllowedError(
                "An admin cannot erase their own account: another admin revokes "
                "the ADMIN role first, or the operator erases the account."
            )
        self._erase()

    @event(Erased)
    def _erase(self) -> None:
        self.erased = True
        self.email = None
        self.email_verified = False
        self.first_name = None
        self.last_name = None
        self.date_of_birth = None
        self.address = None
        self.gender = None
        self.phone = None
        self.identities = []

    # -- Guards ----------------------------------------------------------------------

    def _require_not_erased(self) -> None:
        if self.erased:
            raise UserErasedError("This account was erased.")

    def _require_active(self) -> None:
        self._require_not_erased()
        if self.disabled:
            raise UserDisabledError("This account is disabled.")


def _require_admin(actor: User | Operator) -> None:
    if not actor.is_admin:
        raise ActorNotAllowedError("Only an admin may do this.")
