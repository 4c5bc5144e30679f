"""The signed-in user's in-app notifications: newest first, and marking one read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from adapters.http.auth import ContainerDep, CurrentUser, CurrentUserDep, current_user
from adapters.http.commands import Accepted, ActorDep, DispatchDep
from adapters.http.consistency import read_your_writes
from adapters.http.scheduling.schemas import Notification, NotificationPage
from commands.scheduling.messages import MarkNotificationRead
from projections.scheduling.notifications import NOTIFICATIONS_PROJECTION
from queries.cursors import CURSOR_PATTERN
from queries.scheduling.notifications import (
    MAX_PAGE_SIZE,
    list_notifications,
    readable_notification,
)

router = APIRouter(prefix="/me/notifications", tags=["notifications"])

# A notification's id is a UUID (``projections.scheduling.notices``).
_UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


def audiences(user: CurrentUser) -> list[str]:
    """The shared lists a user reads besides their own (``role:ADMIN``...)."""
    return sorted(f"role:{role}" for role in user.roles)


def readable(
    notification_id: Annotated[str, Path(pattern=_UUID)],
    user: CurrentUserDep,
    container: ContainerDep,
) -> str:
    """A notification addressed to the user or to one of their roles."""
    return readable_notification(
        container.views, notification_id, [str(user.id), *audiences(user)]
    )


ReadableDep = Annotated[str, Depends(readable)]


@router.get(
    "",
    dependencies=[
        Depends(read_your_writes(NOTIFICATIONS_PROJECTION, authorized_by=current_user))
    ],
)
def my_notifications(
    user: CurrentUserDep,
    container: ContainerDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
    cursor: Annotated[str | None, Query(max_length=300, pattern=CURSOR_PATTERN)] = None,
    unread_only: bool = False,
) -> NotificationPage:
    """Your notifications, newest first (``shared`` ones go to everyone holding a
    role, e.g. admins; each reader has their own read state). Payloads hold ids
    only. Follow ``next_cursor`` for older ones."""
    page = list_notifications(
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
def mark_read(
    notification_id: ReadableDep, actor: ActorDep, dispatch: DispatchDep
) -> Accepted:
    """Mark one of your notifications read (again: no change). Another user's
    notification is not found."""
    return Accepted.of(
        dispatch.dispatch(
            MarkNotificationRead(
                actor=actor, user_id=actor.user_id, notification_id=notification_id
            )
        )
    )
