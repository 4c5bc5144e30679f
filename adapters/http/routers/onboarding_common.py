"""What the onboarding routers share: dependencies, the acting user, errors."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Header, Request
from pydantic import BaseModel, Field

from adapters.bootstrap import Container
from adapters.http.auth import CurrentUser, container_of
from adapters.http.errors import ProblemError
from commands.base import CommandResult, new_correlation_id
from commands.onboarding.application import Actor, OnboardingApplication
from projections.onboarding.npos import NPOS_PROJECTION
from projections.onboarding.offerings import OFFERINGS_PROJECTION
from queries.onboarding import Viewer

# Queries name the projections they read, for read-your-writes.
NPO_VIEWS = (NPOS_PROJECTION,)
OFFERING_VIEWS = (NPOS_PROJECTION, OFFERINGS_PROJECTION)


def onboarding_of(request: Request) -> OnboardingApplication:
    return container_of(request).application(OnboardingApplication)


OnboardingDep = Annotated[OnboardingApplication, Depends(onboarding_of)]


def correlation_id(
    x_correlation_id: Annotated[
        str | None,
        Header(
            max_length=100,
            pattern=r"^[A-Za-z0-9._:\-]+$",
            description="Optional: ties the events of this request to a caller's id.",
        ),
    ] = None,
) -> str:
    return x_correlation_id or new_correlation_id()


CorrelationDep = Annotated[str, Depends(correlation_id)]


def actor_of(user: CurrentUser, correlation: str) -> Actor:
    return Actor(str(user.id), frozenset(str(r) for r in user.roles), correlation)


def viewer_of(user: CurrentUser) -> Viewer:
    return Viewer(str(user.id), frozenset(str(r) for r in user.roles))


def user_roles(container: Container, user_id: UUID) -> frozenset[str]:
    """The roles the identity context knows a user holds (404 if no such user)."""
    found = container.identity.directory.get(user_id)
    if found is None or found.disabled:
        raise ProblemError(404, "No such user.")
    return frozenset(str(r) for r in found.roles)


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


def not_found(what: str) -> ProblemError:
    return ProblemError(404, f"No such {what}.")
