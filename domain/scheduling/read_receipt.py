"""A user has read one of their in-app notifications.

Lifecycle: ``ReadReceipt.Read``, once per user and notification (its id derives from
both, so reading again keeps the first time), and nothing after. A notice shared by
a role (``role:ADMIN``) is read by each of its readers separately.
"""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain.base import SpotlightAggregate
from domain.scheduling.values import SCHEDULING_NAMESPACE


def read_receipt_id(user_id: str, notification_id: str) -> UUID:
    return uuid5(SCHEDULING_NAMESPACE, f"read:{user_id}:{notification_id}")


class ReadReceipt(SpotlightAggregate):
    """A user has read a notification (one per user and notification)."""

    @event("Read")
    def __init__(self, id: UUID, user_id: str, notification_id: str) -> None:
        self.user_id = user_id
        self.notification_id = notification_id
