"""What the scheduling routers share: the application, errors, command answers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Request
from pydantic import BaseModel

from adapters.http.auth import container_of
from adapters.http.errors import ProblemError
from commands.base import CommandResult, ConcurrencyConflictError
from commands.scheduling import SchedulingApplication
from domain.scheduling import (
    InvalidAvailabilityError,
    InvalidRecurrenceError,
    SchedulingError,
)
from queries.scheduling import InvalidCursorError


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


@contextmanager
def scheduling_errors() -> Iterator[None]:
    try:
        yield
    except (InvalidAvailabilityError, InvalidRecurrenceError, InvalidCursorError) as e:
        raise ProblemError(422, str(e)) from None
    except ConcurrencyConflictError as error:
        raise ProblemError(409, str(error)) from None
    except SchedulingError as error:
        raise ProblemError(409, str(error)) from None
