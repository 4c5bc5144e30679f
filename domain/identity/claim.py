"""A claim: names the user who holds a unique thing (an identity, an email).

Lifecycle: created ``Claimed`` for its first holder, under an id derived from what
it names, so a second creation fails on the event store's version check; a holder
claiming it again is a no-op and another user is refused; ``Released`` when the
holder is erased; ``Reclaimed`` by the next user. ``IdentityLink`` and
``EmailClaim`` are its two kinds.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import event

from domain.base import SpotlightAggregate
from domain.identity.errors import ClaimTakenError


class Claim(SpotlightAggregate):
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
