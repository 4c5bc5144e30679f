"""Calendar feeds: yours with your access token, and a subscription URL for apps.

Calendar apps cannot send a bearer token, so ``POST /me/calendar-token`` issues a
secret feed URL (``/calendar/{token}.ics``). Only the token's SHA-256 digest is kept;
issuing a new one, or ``DELETE /me/calendar-token``, stops the old URL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from adapters.http.auth import ContainerDep, CurrentUserDep, current_user
from adapters.http.commands import ActorDep, DispatchDep
from adapters.http.consistency import read_your_writes
from adapters.http.openapi import links_to
from adapters.http.scheduling.schemas import FeedToken
from commands.scheduling.messages import RevokeCalendarToken, RotateCalendarToken
from projections.scheduling.meetings import MEETINGS_PROJECTION
from queries.scheduling.calendar_ics import calendar_of, subscribed_calendar

router = APIRouter(tags=["calendar"])

ICS_MEDIA_TYPE = "text/calendar; charset=utf-8"
ICS_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "content": {"text/calendar": {"schema": {"type": "string"}}},
        "description": "An RFC 5545 calendar.",
    }
}


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
    dependencies=[
        Depends(read_your_writes(MEETINGS_PROJECTION, authorized_by=current_user))
    ],
)
def my_calendar(user: CurrentUserDep, container: ContainerDep) -> Response:
    """Your meetings and series as iCalendar (RFC 5545)."""
    return _ics(calendar_of(container.views, str(user.id), datetime.now(UTC)))


@router.post(
    "/me/calendar-token",
    status_code=201,
    responses={
        201: {
            "description": "The new subscription URL and its token.",
            "links": links_to(
                "GET /calendar/{feed_token}.ics",
                feed_token="$response.body#/token",  # noqa: S106 - a pointer
            ),
        }
    },
)
def rotate_calendar_token(
    actor: ActorDep, dispatch: DispatchDep, container: ContainerDep
) -> FeedToken:
    """A new secret subscription URL for calendar apps; the previous one stops
    working. The token is shown only now."""
    issued = dispatch.dispatch(RotateCalendarToken(actor=actor, user_id=actor.user_id))
    return FeedToken.of(issued, container.settings.public_base_url)


@router.delete("/me/calendar-token", status_code=204)
def revoke_calendar_token(actor: ActorDep, dispatch: DispatchDep) -> Response:
    """Stop your subscription URL (without issuing a new one)."""
    dispatch.dispatch(RevokeCalendarToken(actor=actor, user_id=actor.user_id))
    return Response(status_code=204)


@router.get(
    "/calendar/{feed_token}.ics",
    response_class=Response,
    responses=ICS_RESPONSES,
)
def subscribed(
    feed_token: Annotated[
        str, Path(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")
    ],
    container: ContainerDep,
) -> Response:
    """The calendar of the user whose live feed token this is (no bearer token:
    the URL is the secret)."""
    return _ics(subscribed_calendar(container.views, feed_token, datetime.now(UTC)))
