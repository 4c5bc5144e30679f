"""How routes send commands: the caller as an ``Actor``, one dispatcher, one answer.

A route builds its context's command message with ``actor`` from ``ActorDep`` (the
signed-in user, their roles and the request's correlation id) and hands it to
``DispatchDep``; refusals become problem documents in ``adapters.http.errors``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from pydantic import BaseModel, Field

from adapters.http.auth import CurrentUserDep, container_of
from adapters.observability.requests import correlation_of
from commands.base import Actor, CommandResult
from commands.dispatch import Dispatcher


async def correlation_id(
    request: Request,
    x_correlation_id: Annotated[
        str | None,
        Header(
            max_length=100,
            pattern=r"^[A-Za-z0-9._:\-]+$",
            description="Optional: ties the events of this request to a caller's id.",
        ),
    ] = None,
) -> str:
    """The id ``ObservedRequests`` took for this request: the caller's (valid, as
    checked above and there alike) or a new one, so the events, the Kafka headers,
    the log lines and the answer's ``X-Correlation-Id`` share it."""
    return correlation_of(request.scope)


CorrelationDep = Annotated[str, Depends(correlation_id)]


async def acting_user(user: CurrentUserDep, correlation: CorrelationDep) -> Actor:
    return Actor(
        user_id=str(user.id),
        roles=frozenset(str(r) for r in user.roles),
        correlation_id=correlation,
    )


ActorDep = Annotated[Actor, Depends(acting_user)]


async def dispatcher_of(request: Request) -> Dispatcher:
    return container_of(request).dispatcher


DispatchDep = Annotated[Dispatcher, Depends(dispatcher_of)]


class Accepted(BaseModel):
    """A command's answer: pass ``consistency_token`` as ``?after=`` to a query."""

    ids: list[str] = Field(
        description="The ids the command touched, its subject first."
    )
    consistency_token: str | None = Field(
        description="Send as ?after= (or the Spotlight-After header) to read it back."
    )

    @classmethod
    def of(cls, result: CommandResult) -> Accepted:
        return cls(ids=list(result.ids), consistency_token=result.consistency_token)
