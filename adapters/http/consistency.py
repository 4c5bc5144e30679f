"""Read-your-writes: a query may name the position its answer must reflect.

A command answers with ``consistency_token`` (``"<source>:<position>"``). A query
given it, as ``?after=`` or the ``Spotlight-After`` header, waits until every
projection it reads has applied that position, woken by the engine, up to the
configured bound; then it answers 504 with the lag.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated

from fastapi import Header, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool

from adapters.bootstrap import Container
from adapters.http.errors import ProblemError

_TOKEN = re.compile(r"^(?P<source>[a-z][a-z0-9_]*):(?P<position>\d{1,18})$")


def parse_consistency_token(token: str) -> tuple[str, int]:
    match = _TOKEN.match(token)
    if match is None:
        raise HTTPException(
            422, "after: expected '<source>:<position>', e.g. 'identity:42'"
        )
    return match["source"], int(match["position"])


def read_your_writes(*projections: str) -> Callable[..., object]:
    """A dependency for a query route that reads ``projections``."""

    async def wait(
        request: Request,
        after: Annotated[
            str | None,
            Query(description="Consistency token from a command's answer."),
        ] = None,
        spotlight_after: Annotated[str | None, Header()] = None,
    ) -> None:
        token = after or spotlight_after
        if token is None:
            return
        source, position = parse_consistency_token(token)
        container: Container = request.app.state.container
        if source not in container.applications:
            raise HTTPException(422, f"after: unknown source {source!r}")
        lag = await run_in_threadpool(
            container.engine.wait_for,
            source,
            position,
            projections,
            container.settings.read_your_writes_timeout_seconds,
        )
        if lag:
            raise ProblemError(
                504,
                f"The views are {lag} event(s) behind {token}; try again shortly.",
                lag=lag,
            )

    return wait
