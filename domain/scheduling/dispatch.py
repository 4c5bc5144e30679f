"""A request to the notification subsystem: what to send, to whom, about what.

Lifecycle: ``Dispatch.Requested``, once per request key (its id derives from it, so
a trigger handled again asks for nothing twice), and nothing after: it leaves as an
integration event. Recipients are user ids (or ``role:ADMIN``); the request names
ids only (the NPO, the leader, the community, the candidate, the mentor, a role).
"""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain.base import InvalidFieldError, SpotlightAggregate
from domain.scheduling.values import SCHEDULING_NAMESPACE


def dispatch_id(request_key: str) -> UUID:
    return uuid5(SCHEDULING_NAMESPACE, f"dispatch:{request_key}")


class Dispatch(SpotlightAggregate):
    """A message the notification subsystem must send, to user ids (or
    ``role:ADMIN``), about ids only; it leaves as an integration event."""

    @event("Requested")
    def __init__(
        self,
        *,
        id: UUID,
        kind: str,
        channel: str,
        recipient_ids: list[str],
        npo_id: str | None = None,
        leader_id: str | None = None,
        community_id: str | None = None,
        candidate_id: str | None = None,
        mentor_id: str | None = None,
        role: str | None = None,
    ) -> None:
        if not recipient_ids:
            raise InvalidFieldError("recipient_ids", "name at least one recipient")
        self.kind = kind
        self.channel = channel
        self.recipient_ids = recipient_ids
