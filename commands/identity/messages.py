"""The identity context's command messages, and what their handlers answer.

Every message carries ``actor`` (``commands.base.Actor``). ``SignIn`` and
``BootstrapAdmin`` are acted by the platform (``Actor.system(correlation_id)``): no
user is signed in yet. A user's own changes (``UpdateProfile``, ``ChooseRole``) are
acted by that user; the admin's (granting, revoking, disabling, enabling, erasing
someone else) by an admin, or by the system for the operator's command line and
inbound messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from commands.base import Command, CommandResult
from domain.identity.values import Gender, Role

# --- Results --------------------------------------------------------------------

BootstrapAction = Literal["created", "granted", "unchanged"]


@dataclass(frozen=True)
class SignInOutcome:
    user_id: UUID
    roles: frozenset[Role]
    created: bool
    result: CommandResult


@dataclass(frozen=True)
class BootstrapOutcome:
    user_id: UUID
    action: BootstrapAction
    result: CommandResult


# --- Sign-in and the first admin ------------------------------------------------


class SignIn(Command[SignInOutcome]):
    """A verified ID token's claims; creates the user on first sign-in.

    The person signing in is the actor of the events it records.
    """

    issuer: str
    subject: str
    email: str | None = None
    email_verified: bool = False
    given_name: str | None = None
    family_name: str | None = None
    sign_up_roles: frozenset[Role] = frozenset()


class BootstrapAdmin(Command[BootstrapOutcome]):
    """Make the user with this email an admin, creating them if need be."""

    email: str


# --- The user's own record ------------------------------------------------------


class AddressFields(BaseModel):
    model_config = ConfigDict(frozen=True)

    line1: str
    line2: str | None = None
    city: str
    region: str | None = None
    postal_code: str | None = None
    country: str


class UpdateProfile(Command[CommandResult]):
    """Only the fields set on the message change (``model_fields_set``)."""

    user_id: UUID
    first_name: str | None = None
    last_name: str | None = None
    date_of_birth: date | None = None
    address: AddressFields | None = None
    gender: Gender | None = None
    phone: str | None = None


class ChooseRole(Command[CommandResult]):
    """Take a self-serve role (NPO or CANDIDATE)."""

    user_id: UUID
    role: Role


# --- An admin's (or the operator's) --------------------------------------------


class GrantRole(Command[CommandResult]):
    user_id: UUID
    role: Role


class RevokeRole(Command[CommandResult]):
    """The user's refresh tokens are revoked too."""

    user_id: UUID
    role: Role


class DisableUser(Command[CommandResult]):
    """The user's refresh tokens are revoked too."""

    user_id: UUID
    reason: str = Field(description="Checked by the domain (``domain.text``).")


class EnableUser(Command[CommandResult]):
    user_id: UUID


class EraseUser(Command[CommandResult]):
    """By the user themselves or an admin; their refresh tokens are revoked too."""

    user_id: UUID
