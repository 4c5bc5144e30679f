"""The signed-in user's weekly availability and meetings."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from adapters.http.auth import ContainerDep, CurrentUserDep
from adapters.http.consistency import read_your_writes
from adapters.http.errors import ProblemError
from adapters.http.routers.scheduling_common import (
    Accepted,
    SchedulingDep,
)
from commands.base import new_correlation_id
from commands.scheduling import AvailabilityRange, SetAvailability
from domain.scheduling import format_clock
from projections.scheduling import MEETINGS_PROJECTION
from queries.scheduling import (
    MAX_PAGE_SIZE,
    MeetingItem,
    availability_of,
    list_meetings,
)

router = APIRouter(prefix="/me", tags=["meetings"])


class AvailabilityBody(BaseModel):
    """When you are free each week, in your IANA time zone (replaces the last)."""

    time_zone: str = Field(max_length=64, examples=["Europe/Berlin"])
    ranges: list[AvailabilityRange] = Field(
        max_length=50,
        examples=[[{"weekday": 0, "start": "09:00", "end": "12:00"}]],
    )


class Availability(BaseModel):
    time_zone: str
    ranges: list[AvailabilityRange]
    updated_at: str


class Meeting(BaseModel):
    id: str
    kind: str = Field(description="intro, community or mentoring")
    title: str
    status: str
    organiser_id: str
    attendee_ids: list[str]
    starts_at: datetime | None = Field(
        description="The next start (a series: its next occurrence), in UTC."
    )
    ends_at: datetime | None
    duration_minutes: int
    time_zone: str
    rrule: str | None = Field(description="RFC 5545 rule of a recurring series.")
    next_starts: list[datetime]
    context: dict[str, str]

    @classmethod
    def of(cls, item: MeetingItem) -> Meeting:
        starts = item.next_starts[0] if item.next_starts else item.starts_at
        duration = timedelta(minutes=item.duration_minutes)
        ends = starts + duration if starts is not None else None
        return cls(
            id=item.id,
            kind=item.kind,
            title=item.title,
            status=item.status,
            organiser_id=item.organiser_id,
            attendee_ids=list(item.attendees),
            starts_at=starts,
            ends_at=ends,
            duration_minutes=item.duration_minutes,
            time_zone=item.time_zone,
            rrule=item.rrule,
            next_starts=list(item.next_starts),
            context=item.context,
        )


class MeetingPage(BaseModel):
    items: list[Meeting]
    next_cursor: str | None


@router.put("/availability")
async def set_my_availability(
    body: AvailabilityBody, user: CurrentUserDep, app: SchedulingDep
) -> Accepted:
    """Your weekly availability; introductions are booked in time everyone shares."""
    result = await run_in_threadpool(
        app.set_availability,
        SetAvailability(
            actor_id=str(user.id),
            correlation_id=new_correlation_id(),
            user_id=str(user.id),
            time_zone=body.time_zone,
            ranges=body.ranges,
        ),
    )
    return Accepted.of(result)


@router.get(
    "/availability",
    dependencies=[Depends(read_your_writes(MEETINGS_PROJECTION))],
)
async def my_availability(
    user: CurrentUserDep, container: ContainerDep
) -> Availability:
    """Your weekly availability as last entered."""
    found = await run_in_threadpool(availability_of, container.views, str(user.id))
    if found is None:
        raise ProblemError(404, "You have not entered your availability yet.")
    return Availability(
        time_zone=found.time_zone,
        ranges=[
            AvailabilityRange(weekday=d, start=format_clock(s), end=format_clock(e))
            for d, s, e in found.ranges
        ],
        updated_at=found.updated_at,
    )


@router.get(
    "/meetings",
    dependencies=[Depends(read_your_writes(MEETINGS_PROJECTION))],
)
async def my_meetings(
    user: CurrentUserDep,
    container: ContainerDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
    include_past: bool = False,
) -> MeetingPage:
    """Your booked meetings and series, the next one first (``include_past`` adds
    the ones that are over, latest first)."""
    page = await run_in_threadpool(
        list_meetings,
        container.views,
        str(user.id),
        limit=limit,
        cursor=cursor,
        include_past=include_past,
    )
    return MeetingPage(
        items=[Meeting.of(m) for m in page.items], next_cursor=page.next_cursor
    )
