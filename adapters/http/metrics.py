"""``GET /metrics``: the process's metrics in Prometheus's text format (ADR 019).

A scraper sends ``Authorization: Bearer <SPOTLIGHT_METRICS_TOKEN>``; an admin may
send their access token instead. Anyone else is refused (401 without credentials or
with a token that is neither, 403 for a signed-in user who is not an admin).
Figures read from backends at scrape time wait a bounded time each
(``adapters.observability.figures``): a backend that is down is reported as a
metric, never as an error of this route.
"""

from __future__ import annotations

import hmac
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials

from adapters.http.auth import _bearer, container_of, current_user, forbidden
from adapters.observability.metrics import CONTENT_TYPE
from domain.identity.values import Role

router = APIRouter(tags=["operations"])


async def scraper(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """The scrape token, or an admin's access token."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            401,
            "Send the scrape token or an admin's access token as "
            "'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    expected = container_of(request).settings.metrics_token
    if expected and hmac.compare_digest(
        credentials.credentials.encode(), expected.encode()
    ):
        return
    user = await current_user(request, credentials)
    if Role.ADMIN not in user.roles:
        raise forbidden("Only admins and the scraper may read the metrics.")


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text exposition format 0.0.4.",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
        401: {"description": "No scrape token nor access token, or not valid."},
        403: {"description": "Signed in, but not an admin."},
    },
    dependencies=[Depends(scraper)],
)
async def metrics(request: Request) -> Response:
    """Request latency per route and status, commands per type and outcome,
    projection and consumer lag, timers due and waiting-queue lengths."""
    exposed = await anyio.to_thread.run_sync(container_of(request).metrics.expose)
    return Response(exposed, media_type=CONTENT_TYPE)
