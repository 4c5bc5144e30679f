"""A user's erasure, as far as scheduling is concerned (C1).

Lifecycle: ``Erasure.Requested``, once per user (its id derives from the user id),
and nothing after. Recorded with it: the user's availability cleared and their feed
revoked; the views then drop their availability, notifications, feed and attendance.
"""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain.base import SpotlightAggregate
from domain.scheduling.values import SCHEDULING_NAMESPACE


def erasure_id(user_id: str) -> UUID:
    return uuid5(SCHEDULING_NAMESPACE, f"erasure:{user_id}")


class Erasure(SpotlightAggregate):
    """A user was erased (C1): views drop their availability, notifications,
    feed and attendance; their availability is cleared in the log too."""

    @event("Requested")
    def __init__(self, *, id: UUID, user_id: str) -> None:
        self.user_id = user_id
