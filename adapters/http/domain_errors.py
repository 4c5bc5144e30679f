"""Refusals of the domain, commands and queries as HTTP errors — mapped only here.

Routes wrap their command and query calls in ``domain_errors()``; the problem
document itself comes from ``errors``. The messages of domain errors are written to
be shown; none quotes personal data.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from adapters.http.errors import ProblemError
from commands.base import ConcurrencyConflictError
from commands.personal_data import PersonalDataErasedError
from domain.base import DomainError, NotFoundError
from domain.identity import (
    ActorNotAllowedError,
    InvalidProfileFieldError,
    RoleNotSelfServeError,
    UserDisabledError,
    UserErasedError,
)
from domain.onboarding.errors import (
    InvalidFieldError,
    NotAllowedError,
    ResourceTooLargeError,
    UnreadableResourceError,
)
from domain.scheduling import InvalidAvailabilityError, InvalidRecurrenceError
from queries.onboarding import InvalidCursorError as InvalidOnboardingCursorError
from queries.scheduling import InvalidCursorError as InvalidSchedulingCursorError

# The first matching row decides; more specific errors come first. Anything else
# the domain refuses is a conflict with the current state (409).
_STATUS_OF: tuple[tuple[tuple[type[Exception], ...], int], ...] = (
    (
        (
            InvalidAvailabilityError,
            InvalidRecurrenceError,
            InvalidOnboardingCursorError,
            InvalidSchedulingCursorError,
        ),
        422,
    ),
    ((NotFoundError,), 404),
    (
        (
            ActorNotAllowedError,
            RoleNotSelfServeError,
            UserDisabledError,
            NotAllowedError,
        ),
        403,
    ),
    ((UserErasedError, PersonalDataErasedError), 410),
    ((ResourceTooLargeError,), 413),
    ((UnreadableResourceError,), 415),
    ((ConcurrencyConflictError, DomainError), 409),
)


@contextmanager
def domain_errors() -> Iterator[None]:
    try:
        yield
    except (InvalidProfileFieldError, InvalidFieldError) as error:
        raise ProblemError(
            422, str(error), errors=[{"field": error.field, "reason": error.reason}]
        ) from None
    except (DomainError, ValueError) as error:
        for kinds, status in _STATUS_OF:
            if isinstance(error, kinds):
                raise ProblemError(status, str(error)) from None
        raise
