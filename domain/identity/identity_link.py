"""Which user signs in with an (issuer, subject): a ``Claim`` on that identity.

Lifecycle as every claim's (``domain.claim``): claimed at the first sign-in
with the identity, or when a verified email links it to an existing user; released
when the user is erased; claimed again by whoever signs in with it next.
"""

from __future__ import annotations

from uuid import UUID, uuid5

from domain.base import ConflictError
from domain.claim import Claim
from domain.identity.errors import ClaimTakenError
from domain.identity.values import LinkedIdentity

_IDENTITY_NAMESPACE = UUID("6f1d2a4e-93c5-4b0e-9d62-0c8f3f0b7a11")


class IdentityLink(Claim):
    """Which user signs in with this (issuer, subject)."""

    @classmethod
    def create(cls, identity: LinkedIdentity, holder: UUID) -> IdentityLink:
        link: IdentityLink = cls._create(
            cls.Claimed, id=cls.id_for(identity), holder=holder
        )
        return link

    def taken(self) -> ConflictError:
        return ClaimTakenError("This belongs to another account.")

    @staticmethod
    def id_for(identity: LinkedIdentity) -> UUID:
        # A derived id, not the subject itself, so the link holds no personal data.
        return uuid5(_IDENTITY_NAMESPACE, f"{identity.issuer}\n{identity.subject}")
