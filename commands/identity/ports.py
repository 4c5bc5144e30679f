"""What the identity context needs from outside, implemented by the composition root."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID


class RefreshTokens(Protocol):
    """The platform's refresh tokens (``adapters.identity.refresh_tokens``)."""

    def revoke_all(self, user_id: UUID) -> None:
        """Revoke every live refresh token of the user (they sign in again)."""
        ...
