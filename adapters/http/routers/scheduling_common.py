"""What the scheduling routers share: the application, errors, command answers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from pydantic import BaseModel

from adapters.http.auth import container_of
from commands.base import CommandResult
from commands.scheduling import SchedulingApplication


def scheduling_of(request: Request) -> SchedulingApplication:
    return container_of(request).application(SchedulingApplication)


SchedulingDep = Annotated[SchedulingApplication, Depends(scheduling_of)]


class Accepted(BaseModel):
    """A command's answer: pass ``consistency_token`` as ``?after=`` to a query."""

    ids: list[str]
    consistency_token: str | None

    @classmethod
    def of(cls, result: CommandResult) -> Accepted:
        return cls(ids=list(result.ids), consistency_token=result.consistency_token)
