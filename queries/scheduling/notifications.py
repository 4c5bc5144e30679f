"""The signed-in user's notifications: a page, newest first, and who may read one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.base import NotFoundError
from ports.relational import RelationalStore
from projections.scheduling.notifications import NotificationRow, NotificationsReader
from queries.cursors import decode_cursor, encode_cursor

MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class NotificationPage:
    items: list[NotificationRow]
    next_cursor: str | None


def list_notifications(
    store: RelationalStore,
    user_id: str,
    *,
    audiences: Sequence[str] = (),
    limit: int = 20,
    cursor: str | None = None,
    unread_only: bool = False,
) -> NotificationPage:
    """The user's notifications (and their roles' shared ones), newest first."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    before = None
    if cursor is not None:
        created_at, last_id = decode_cursor(cursor, 2)
        before = (created_at, last_id)
    rows = NotificationsReader(store).newest_first(
        user_id,
        [user_id, *audiences],
        limit=limit + 1,
        before=before,
        unread_only=unread_only,
    )
    items = rows[:limit]
    more = len(rows) > limit
    next_cursor = (
        encode_cursor(items[-1].created_at, items[-1].id) if more and items else None
    )
    return NotificationPage(items, next_cursor)


def notification_recipient(store: RelationalStore, notification_id: str) -> str | None:
    """Who a notification is addressed to (a user id or ``role:...``), if it exists."""
    return NotificationsReader(store).recipient(notification_id)


def readable_notification(
    store: RelationalStore, notification_id: str, readers: Sequence[str]
) -> str:
    """The notification's id, if it is addressed to one of ``readers`` (the user and
    their roles); another user's notification is not found."""
    recipient = notification_recipient(store, notification_id)
    if recipient is None or recipient not in readers:
        raise NotFoundError("No such notification.")
    return notification_id
