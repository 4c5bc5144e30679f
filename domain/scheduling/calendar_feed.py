"""A user's calendar subscription: the secret in their feed URL, kept as a digest.

Lifecycle: ``CalendarFeed.TokenIssued`` the first time the user asks for a feed URL
(one per user: its id derives from the user id), ``TokenRotated`` each time they ask
for a new one (the old URL stops working), ``TokenRevoked`` when they stop it (or
are erased); a revoked feed is issued a token again by rotating it. Only the SHA-256
digest of a token is kept, in events and views alike.
"""

from __future__ import annotations

import hashlib
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain.base import SpotlightAggregate
from domain.scheduling.values import SCHEDULING_NAMESPACE


def calendar_feed_id(user_id: str) -> UUID:
    return uuid5(SCHEDULING_NAMESPACE, f"calendar-feed:{user_id}")


def token_digest(token: str) -> str:
    """Feed tokens are kept (in events and views) only as this digest."""
    return hashlib.sha256(token.encode()).hexdigest()


class CalendarFeed(SpotlightAggregate):
    """A user's calendar subscription secret, kept only as its SHA-256 digest."""

    @event("TokenIssued")
    def __init__(self, id: UUID, user_id: str, token_digest: str) -> None:
        self.user_id = user_id
        self.token_digest: str | None = token_digest

    @event("TokenRotated")
    def rotate(self, token_digest: str) -> None:
        self.token_digest = token_digest

    def revoke(self) -> None:
        if self.token_digest is not None:
            self._revoke()

    @event("TokenRevoked")
    def _revoke(self) -> None:
        self.token_digest = None
