"""Users, their roles and the identities they sign in with.

A ``User`` holds the profile (personal data, encrypted at rest: see
``domain.personal_data``), the roles, the linked sign-in identities and the disabled
and erased flags. Two tiny claim aggregates make uniqueness work on an event store
without reading views: ``IdentityLink`` (id derived from issuer and subject) and
``EmailClaim`` (id derived from the normalised email) each name the user holding them;
creating one twice fails on the store's version check, so two concurrent first
sign-ins cannot make two users.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain.base import (
    ConflictError,
    GoneError,
    InvalidFieldError,
    NotAllowedError,
    SpotlightAggregate,
)
from domain.personal_data import CarriesPersonalData, is_erased


class Role(StrEnum):
    NPO = "NPO"
    CANDIDATE = "CANDIDATE"
    COMMUNITY_LEADER = "COMMUNITY_LEADER"
    CAREER_MENTOR = "CAREER_MENTOR"
    ADMIN = "ADMIN"


# Chosen by the user at sign-up; the others only an admin grants.
SELF_SERVE_ROLES = frozenset({Role.NPO, Role.CANDIDATE})
ADMIN_GRANTED_ROLES = frozenset(set(Role) - SELF_SERVE_ROLES)


class Gender(StrEnum):
    FEMALE = "female"
    MALE = "male"
    NON_BINARY = "non_binary"
    SELF_DESCRIBED = "self_described"
    PREFER_NOT_TO_SAY = "prefer_not_to_say"


# --- Errors ------------------------------------------------------------------------


class ActorNotAllowedError(NotAllowedError):
    """The acting user may not do this (for example: not an admin)."""


class RoleNotSelfServeError(NotAllowedError):
    """Only an admin grants this role."""


class UserDisabledError(NotAllowedError):
    """The account is disabled."""


class UserErasedError(GoneError):
    """The account was erased; nothing about it can change any more."""


class InvalidProfileFieldError(InvalidFieldError):
    """A profile value breaks a rule; ``field`` names it."""


class ClaimTakenError(ConflictError):
    """The identity or email already belongs to another user."""


# --- Value objects ------------------------------------------------------------------


@dataclass(frozen=True)
class Address:
    line1: str
    city: str
    country: str  # ISO 3166-1 alpha-2
    line2: str | None = None
    region: str | None = None
    postal_code: str | None = None

    def to_state(self) -> dict[str, str | None]:
        return {
            "line1": self.line1,
            "line2": self.line2,
            "city": self.city,
            "region": self.region,
            "postal_code": self.postal_code,
            "country": self.country,
        }

    @classmethod
    def from_state(cls, state: object) -> Address | None:
        # An erased event holds the ERASED marker instead of the mapping.
        if not isinstance(state, Mapping):
            return None
        return cls(
            line1=str(state["line1"]),
            line2=state.get("line2"),
            city=str(state["city"]),
            region=state.get("region"),
            postal_code=state.get("postal_code"),
            country=str(state["country"]),
        )


@dataclass(frozen=True)
class LinkedIdentity:
    """An account at an OpenID provider: the provider's issuer URL and subject."""

    issuer: str
    subject: str


@dataclass(frozen=True)
class Profile:
    """The fields a user edits themselves (email comes from a verified identity)."""

    first_name: str | None = None
    last_name: str | None = None
    date_of_birth: date | None = None
    address: Address | None = None
    gender: Gender | None = None
    phone: str | None = None


_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")  # E.164
_OLDEST_PLAUSIBLE_AGE_YEARS = 130


def normalise_email(email: str) -> str:
    return email.strip().casefold()


def validate_profile(profile: Profile, today: date) -> None:
    """The rules a profile keeps whatever door it came through."""
    for name in ("first_name", "last_name"):
        value = getattr(profile, name)
        if value is not None and not value.strip():
            raise InvalidProfileFieldError(name, "must not be blank")
    if profile.phone is not None and not _PHONE.match(profile.phone):
        raise InvalidProfileFieldError(
            "phone", "must be in E.164 form, e.g. +14155550100"
        )
    if profile.date_of_birth is not None:
        if profile.date_of_birth > today:
            raise InvalidProfileFieldError("date_of_birth", "must not be in the future")
        if today.year - profile.date_of_birth.year > _OLDEST_PLAUSIBLE_AGE_YEARS:
            raise InvalidProfileFieldError("date_of_birth", "is not plausible")


def _parse_date(value: object) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def _parse_gender(value: object) -> Gender | None:
    return Gender(value) if isinstance(value, str) and not is_erased(value) else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


# --- The user -----------------------------------------------------------------------


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
        """First sign-in: the user picks only self-serve roles."""
        chosen = set(roles)
        if not chosen <= SELF_SERVE_ROLES:
            refused = ", ".join(sorted(chosen - SELF_SERVE_ROLES))
            raise RoleNotSelfServeError(f"Only an admin grants {refused}.")
        user: User = cls._create(
            cls.Registered,
            id=user_id,
            email=normalise_email(email) if email else None,
            email_verified=email_verified,
            first_name=first_name,
            last_name=last_name,
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
        user: User = cls._create(
            cls.Registered,
            id=user_id,
            email=normalise_email(email),
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
        validate_profile(profile, today)
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

    def grant_role(self, role: Role, granted_by: User) -> None:
        _require_admin(granted_by)
        self._require_not_erased()
        if role not in self.roles:
            self._grant_role(role.value)

    def grant_admin_by_operator(self) -> None:
        """``spotlight admin bootstrap``: the operator, not a user, grants ADMIN."""
        self._require_active()
        if Role.ADMIN not in self.roles:
            self._grant_role(Role.ADMIN.value)

    def revoke_role(self, role: Role, revoked_by: User) -> None:
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

    def disable(self, reason: str, disabled_by: User) -> None:
        _require_admin(disabled_by)
        self._require_not_erased()
        if disabled_by.id == self.id:
            raise ActorNotAllowedError("An admin cannot disable their own account.")
        if not self.disabled:
            self._disable(reason)

    def enable(self, enabled_by: User) -> None:
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

    def erase(self, erased_by: User) -> None:
        """C1 delete: by the user themselves or an admin. Irreversible."""
        if erased_by.id != self.id:
            _require_admin(erased_by)
        if not self.erased:
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


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise ActorNotAllowedError("Only an admin may do this.")


# --- Uniqueness claims ---------------------------------------------------------------

_IDENTITY_NAMESPACE = UUID("6f1d2a4e-93c5-4b0e-9d62-0c8f3f0b7a11")
_EMAIL_NAMESPACE = UUID("b3e07c52-1a8d-4f6e-8e4b-5d2c9a7f6e20")


class _Claim(SpotlightAggregate):
    """Names the user who holds a unique thing; released when that user is erased."""

    class Claimed(SpotlightAggregate.Created):
        holder: UUID

    class Reclaimed(SpotlightAggregate.Event):
        holder: UUID

    class Released(SpotlightAggregate.Event):
        pass

    @event(Claimed)
    def __init__(self, holder: UUID) -> None:
        self.holder: UUID | None = holder

    def claim_for(self, user_id: UUID) -> None:
        if self.holder == user_id:
            return
        if self.holder is not None:
            raise ClaimTakenError("This belongs to another account.")
        self._reclaim(user_id)

    @event(Reclaimed)
    def _reclaim(self, holder: UUID) -> None:
        self.holder = holder

    def release(self) -> None:
        if self.holder is not None:
            self._release()

    @event(Released)
    def _release(self) -> None:
        self.holder = None


class IdentityLink(_Claim):
    """Which user signs in with this (issuer, subject)."""

    @classmethod
    def create(cls, identity: LinkedIdentity, holder: UUID) -> IdentityLink:
        link: IdentityLink = cls._create(
            cls.Claimed, id=cls.id_for(identity), holder=holder
        )
        return link

    @staticmethod
    def id_for(identity: LinkedIdentity) -> UUID:
        # A derived id, not the subject itself, so the link holds no personal data.
        return uuid5(_IDENTITY_NAMESPACE, f"{identity.issuer}\n{identity.subject}")


class EmailClaim(_Claim):
    """Which user a verified email belongs to (used to link further providers)."""

    @classmethod
    def create(cls, email: str, holder: UUID) -> EmailClaim:
        claim: EmailClaim = cls._create(
            cls.Claimed, id=cls.id_for(email), holder=holder
        )
        return claim

    @staticmethod
    def id_for(email: str) -> UUID:
        return uuid5(_EMAIL_NAMESPACE, normalise_email(email))
