"""Calendar feeds: yours with your access token, and a subscription URL for apps.

Calendar apps cannot send a bearer token, so ``POST /me/calendar-token`` issues a
secret feed URL (``/calendar/{token}.ics``). Only the token's SHA-256 digest is kept;
issuing a new one, or ``DELETE /me/calendar-token``, stops the old URL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from adapters.bootstrap import Container
from adapters.http.auth import ContainerDep, CurrentUserDep
from adapters.http.consistency import read_your_writes
from adapters.http.errors import ProblemError
from adapters.http.routers.scheduling_common import (
    SchedulingDep,
)
from commands.base import new_correlation_id
from commands.scheduling import RevokeCalendarToken, RotateCalendarToken, token_digest
from projections.scheduling import MEETINGS_PROJECTION
from queries.calendar_ics import render_calendar
from queries.scheduling import feed_owner, meetings_of

router = APIRouter(tags=["calendar"])

ICS_MEDIA_TYPE = "text/calendar; charset=utf-8"
ICS_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "content": {"text/calendar": {"schema": {"type": "string"}}},
        "description": "An RFC 5545 calendar.",
    }
}


def _calendar(container: Container, user_id: str) -> str:
    return render_calendar(meetings_of(container.views, user_id), now=datetime.now(UTC))


def _ics(body: str) -> Response:
    return Response(
        body,
        media_type=ICS_MEDIA_TYPE,
        headers={
            "Content-Disposition": 'inline; filename="spotlight.ics"',
            "Cache-Control": "private, max-age=300",
        },
    )


@router.get(
    "/me/calendar.ics",
    response_class=Response,
    responses=ICS_RESPONSES,
    dependencies=[Depends(read_your_writes(MEETINGS_PROJECTION))],
)
async def my_calendar(user: CurrentUserDep, container: ContainerDep) -> Response:
    """Your meetings and series as iCalendar (RFC 5545)."""
    return _ics(await run_in_threadpool(_calendar, container, str(user.id)))


class FeedToken(BaseModel):
    token: str
    url: str
    webcal_url: str
    consistency_token: str | None


@router.post("/me/calendar-token", status_code=201)
async def rotate_calendar_token(
    user: CurrentUserDep, container: ContainerDep, app: SchedulingDep
) -> FeedToken:
    """A new secret subscription URL for calendar apps; the previous one stops
    working. The token is shown only now."""
    token, result = await run_in_threadpool(
        app.rotate_calendar_token,
        RotateCalendarToken(
            actor_id=str(user.id),
            correlation_id=new_correlation_id(),
            user_id=str(user.id),
        ),
    )
    url = f"{container.settings.public_base_url.rstrip('/')}/calendar/{token}.ics"
    return FeedToken(
        token=token,
        url=url,
        webcal_url="webcal://" + url.split("://", 1)[1],
        consistency_token=result.consistency_token,
    )


@router.delete("/me/calendar-token", status_code=204)
async def revoke_calendar_token(user: CurrentUserDep, app: SchedulingDep) -> Response:
    """Stop your subscription URL (without issuing a new one)."""
    await run_in_threadpool(
        app.revoke_calendar_token,
        RevokeCalendarToken(
            actor_id=str(user.id),
            correlation_id=new_correlation_id(),
            user_id=str(user.id),
        ),
    )
    return Response(status_code=204)


@router.get(
    "/calendar/{feed_token}.ics",
    response_class=Response,
    responses=ICS_RESPONSES,
)
async def subscribed_calendar(
    feed_token: Annotated[str, Path(min_length=20, max_length=100)],
    container: ContainerDep,
) -> Response:
    """The calendar of the user whose live feed token this is (no bearer token:
    the URL is the secret)."""
    owner = await run_in_threadpool(
        feed_owner, container.views, token_digest(feed_token)
    )
    if owner is None:
        raise ProblemError(404, "No such calendar.")
    return _ics(await run_in_threadpool(_calendar, container, owner))
