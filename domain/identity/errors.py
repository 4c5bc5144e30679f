"""The identity context's refusals, each a leaf of a ``domain.base`` refusal."""

from __future__ import annotations

from domain.base import ConflictError, GoneError, InvalidFieldError, NotAllowedError


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
