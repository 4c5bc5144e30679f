"""Which user a verified email belongs to: a ``Claim`` on the normalised email.

Lifecycle as every claim's (``domain.claim``): claimed when a user registers
with a verified email (or the operator names the first admin); released when the
user is erased; claimed again by the next user to register with it. Further
providers that verified the same email are linked to its holder.
"""

from __future__ import annotations

from uuid import UUID, uuid5

from domain.base import ConflictError
from domain.claim import Claim
from domain.identity.errors import ClaimTakenError
from domain.identity.values import normalise_email

_EMAIL_NAMESPACE = UUID("b3e07c52-1a8d-4f6e-8e4b-5d2c9a7f6e20")


class EmailClaim(Claim):
    """Which user a verified email belongs to (used to link further providers)."""

    @classmethod
    def create(cls, email: str, holder: UUID) -> EmailClaim:
        claim: EmailClaim = cls._create(
            cls.Claimed, id=cls.id_for(email), holder=holder
        )
        return claim

    def taken(self) -> ConflictError:
        return ClaimTakenError("This belongs to another account.")

    @staticmethod
    def id_for(email: str) -> UUID:
        return uuid5(_EMAIL_NAMESPACE, normalise_email(email))
