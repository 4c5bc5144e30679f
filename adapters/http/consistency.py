"""Read-your-writes: a query may name the position its answer must reflect.

A command answers with ``consistency_token`` (``"<source>:<position>"``). A query
given it, as ``?after=`` or the ``Spotlight-After`` header, waits until every
projection it reads has applied that position, woken by the engine, up to the
configured bound; then it answers 504 with the lag.

Nobody waits before being let in: the wait depends on the route's own
authorization (``authorized_by``), which FastAPI therefore resolves first, so an
anonymous or wrongly-roled caller is refused at once. A position beyond the head of
the source's log can never be reached: it is refused at once (422), not waited for.
"""

# No ``from __future__ import annotations``: FastAPI evaluates the annotations of
# the dependencies made below, and they name the factory's ``authorized_by``.

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from starlette.concurrency import run_in_threadpool

from adapters.bootstrap import Container
from adapters.http.errors import ProblemError

# A source is an application's name; a position is a notification id.
AFTER_PATTERN = r"^[a-z][a-z0-9_]{0,39}:[0-9]{1,18}$"
AFTER_MAX_LENGTH = 59
HEADER = "Spotlight-After"
_DESCRIPTION = (
    "A command's consistency_token, '<source>:<position>' (e.g. 'identity:42'): "
    "the answer reflects that write."
)


@dataclass(frozen=True)
class ConsistencyToken:
    source: str
    position: int
    # Where the caller sent it: "after" (the query) or the header's name.
    field: str

    def __str__(self) -> str:
        return f"{self.source}:{self.position}"


async def consistency_token(
    after: Annotated[
        str | None,
        Query(
            pattern=AFTER_PATTERN, max_length=AFTER_MAX_LENGTH, description=_DESCRIPTION
        ),
    ] = None,
    spotlight_after: Annotated[
        str | None,
        Header(
            alias=HEADER,
            pattern=AFTER_PATTERN,
            max_length=AFTER_MAX_LENGTH,
            description=f"The same as ?after= (which wins when both are sent). "
            f"{_DESCRIPTION}",
        ),
    ] = None,
) -> ConsistencyToken | None:
    """The token the caller sent, if any (its shape checked by the patterns)."""
    if after is not None:
        token, field = after, "after"
    elif spotlight_after is not None:
        token, field = spotlight_after, HEADER
    else:
        return None
    source, _, position = token.partition(":")
    return ConsistencyToken(source, int(position), field)


def _refused(token: ConsistencyToken, reason: str) -> ProblemError:
    return ProblemError(
        422,
        f"{token.field}: {reason}",
        errors=[{"field": token.field, "reason": reason}],
    )


async def reflect(
    container: Container, token: ConsistencyToken, projections: Iterable[str]
) -> None:
    """Wait until ``projections`` have applied ``token`` (504 past the bound).

    Call it only once the caller is let in. An unknown source, or a position the
    source's log has not reached, is refused at once.
    """
    names = list(projections)
    if await reflected(container, token, names):
        return
    engine = container.engine
    lag = await run_in_threadpool(
        engine.wait_for,
        token.source,
        token.position,
        names,
        container.settings.read_your_writes_timeout_seconds,
    )
    if lag:
        raise ProblemError(
            504,
            f"The views are {lag} event(s) behind {token}; try again shortly.",
            lag=lag,
        )


async def reflected(
    container: Container, token: ConsistencyToken, projections: Iterable[str]
) -> bool:
    """Whether ``projections`` have applied ``token`` already, without waiting.

    An unknown source, or a position the source's log has not reached, is refused
    (422): no view will ever reflect it.
    """
    if token.source not in container.applications:
        raise _refused(token, f"unknown source {token.source!r}")
    engine = container.engine
    if engine.has_applied(token.source, token.position, projections):
        return True
    head = await run_in_threadpool(engine.head, token.source)
    if token.position > head:
        raise _refused(
            token,
            f"position {token.position} is beyond the latest recorded in "
            f"{token.source!r}; send a consistency_token a command answered",
        )
    return False


def read_your_writes(
    *projections: str, authorized_by: Callable[..., object]
) -> Callable[..., Awaitable[None]]:
    """A dependency for a query route that reads ``projections``.

    ``authorized_by`` is the route's authorization dependency (``current_user``,
    ``only_admins``...); it runs before the wait, and once per request.
    """

    async def wait(
        request: Request,
        caller: Annotated[object, Depends(authorized_by)],
        token: Annotated[ConsistencyToken | None, Depends(consistency_token)],
    ) -> None:
        if token is not None:
            container: Container = request.app.state.container
            await reflect(container, token, projections)

    return wait


def views_or_record(
    *projections: str, record_source: str, authorized_by: Callable[..., object]
) -> Callable[..., Awaitable[bool]]:
    """Read-your-writes for a route that can also answer from the write model.

    The dependency answers True when there is no token or ``projections`` have
    applied it. A token of ``record_source`` they have not reached yet answers False
    at once, without waiting: the route then answers from the aggregate's own
    record, which holds every event recorded so far, the token's too. A token of any
    other source is waited for, as ``read_your_writes`` does. Runs after
    ``authorized_by``.
    """

    async def fresh(
        request: Request,
        caller: Annotated[object, Depends(authorized_by)],
        token: Annotated[ConsistencyToken | None, Depends(consistency_token)],
    ) -> bool:
        if token is None:
            return True
        container: Container = request.app.state.container
        if token.source != record_source:
            await reflect(container, token, projections)
            return True
        return await reflected(container, token, projections)

    return fresh
