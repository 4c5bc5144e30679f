"""The signed-in user's meetings and series, the next one first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from adapters.http.auth import ContainerDep, CurrentUserDep, current_user
from adapters.http.consistency import read_your_writes
from adapters.http.scheduling.schemas import Meeting, MeetingPage
from projections.scheduling.meetings import MEETINGS_PROJECTION
from queries.cursors import CURSOR_PATTERN
from queries.scheduling.meetings import MAX_PAGE_SIZE, list_meetings

router = APIRouter(prefix="/me", tags=["meetings"])


@router.get(
    "/meetings",
    dependencies=[
        Depends(read_your_writes(MEETINGS_PROJECTION, authorized_by=current_user))
    ],
)
def my_meetings(
    user: CurrentUserDep,
    container: ContainerDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
    cursor: Annotated[str | None, Query(max_length=100, pattern=CURSOR_PATTERN)] = None,
    include_past: bool = False,
) -> MeetingPage:
    """Your booked meetings and series, the next one first (``include_past`` adds
    the ones that are over, latest first)."""
    page = list_meetings(
        container.views,
        str(user.id),
        limit=limit,
        cursor=cursor,
        include_past=include_past,
    )
    return MeetingPage(
        items=[Meeting.of(m) for m in page.items], next_cursor=page.next_cursor
    )
