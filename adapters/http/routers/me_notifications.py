"""The signed-in user's in-app notifications: newest first, and marking one read."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from adapters.http.auth import ContainerDep, CurrentUser, CurrentUserDep
from adapters.http.consistency import read_your_writes
from adapters.http.errors import ProblemError
from adapters.http.routers.scheduling_common import (
    Accepted,
    SchedulingDep,
)
from commands.base import new_correlation_id
from commands.scheduling import MarkNotificationRead
from projections.notifications import NOTIFICATIONS_PROJECTION
from queries.scheduling import (
    MAX_PAGE_SIZE,
    NotificationItem,
    list_notifications,
    notification_recipient,
)

router = APIRouter(prefix="/me/notifications", tags=["notifications"])


def audiences(user: CurrentUser) -> list[str]:
    """The shared lists a user reads besides their own (``role:ADMIN``...)."""
    return sorted(f"role:{role}" for role in user.roles)


class Notification(BaseModel):
    id: str
    kind: str
    payload: dict[str, Any]
    created_at: str
    read_at: str | None
    shared: bool

    @classmethod
    def of(cls, item: NotificationItem) -> Notification:
        return cls(
            id=item.id,
            kind=item.kind,
            payload=item.payload,
            created_at=item.created_at,
            read_at=item.read_at,
            shared=item.recipient.startswith("role:"),
        )


class NotificationPage(BaseModel):
    items: list[Notification]
    next_cursor: str | None


@router.get(
    "",
    dependencies=[Depends(read_your_writes(NOTIFICATIONS_PROJECTION))],
)
async def my_notifications(
    user: CurrentUserDep,
    container: ContainerDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
    unread_only: bool = False,
) -> NotificationPage:
    """Your notifications, newest first (``shared`` ones go to everyone holding a
    role, e.g. admins; each reader has their own read state). Payloads hold ids
    only. Follow ``next_cursor`` for older ones."""
    page = await run_in_threadpool(
        list_notifications,
        container.views,
        str(user.id),
        audiences=audiences(user),
        limit=limit,
        cursor=cursor,
        unread_only=unread_only,
    )
    return NotificationPage(
        items=[Notification.of(i) for i in page.items], next_cursor=page.next_cursor
    )


@router.post("/{notification_id}/read")
async def mark_read(
    notification_id: Annotated[str, Path(max_length=64)],
    user: CurrentUserDep,
    container: ContainerDep,
    app: SchedulingDep,
) -> Accepted:
    """Mark one of your notifications read (again: no change). Another user's
    notification is not found."""
    recipient = await run_in_threadpool(
        notification_recipient, container.views, notification_id
    )
    if recipient is None or (
        recipient != str(user.id) and recipient not in audiences(user)
    ):
        raise ProblemError(404, "No such notification.")
    result = await run_in_threadpool(
        app.mark_notification_read,
        MarkNotificationRead(
            actor_id=str(user.id),
            correlation_id=new_correlation_id(),
            user_id=str(user.id),
            notification_id=notification_id,
        ),
    )
    return Accepted.of(result)
