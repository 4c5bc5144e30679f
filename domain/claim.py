"""A claim: names the holder of a unique thing (an identity, an email, an NPO's
registration id).

Lifecycle: created ``Claimed`` for its first holder, under an id derived from what
it names, so a second creation fails on the event store's version check; the holder
claiming it again is a no-op and anyone else is refused (each kind words its own
refusal, ``taken``); ``Released`` by its holder; ``Reclaimed`` by the next one.
Identity's ``IdentityLink`` and ``EmailClaim`` and onboarding's
``RegistrationClaim`` are its kinds; a holder is a user's or an NPO's id.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import event

from domain.base import ConflictError, SpotlightAggregate


class Claim(SpotlightAggregate):
    """Names the holder of a unique thing; released when the holder lets it go."""

    class Claimed(SpotlightAggregate.Created):
        holder: UUID

    class Reclaimed(SpotlightAggregate.Event):
        holder: UUID

    class Released(SpotlightAggregate.Event):
        pass

    @event(Claimed)
    def __init__(self, holder: UUID) -> None:
        self.holder: UUID | None = holder

    def taken(self) -> ConflictError:
        """The refusal given to anyone but the holder (each kind words its own)."""
        return ConflictError("This is already taken.")

    def claim_for(self, holder: UUID) -> None:
        if self.holder == holder:
            return
        if self.holder is not None:
            raise self.taken()
        self._reclaim(holder)

    @event(Reclaimed)
    def _reclaim(self, holder: UUID) -> None:
        self.holder = holder

    def release(self) -> None:
        if self.holder is not None:
            self._release()

    @event(Released)
    def _release(self) -> None:
        self.holder = None
