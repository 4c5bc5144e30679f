"""Domain refusals as HTTP errors (the problem document comes from ``errors``).

Routes wrap their command calls in ``domain_errors()``. The messages of domain errors
are written to be shown; none quotes personal data.
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
    ClaimTakenError,
    InvalidProfileFieldError,
    RoleNotSelfServeError,
    UserDisabledError,
    UserErasedError,
)


@contextmanager
def domain_errors() -> Iterator[None]:
    try:
        yield
    except InvalidProfileFieldError as error:
        raise ProblemError(
            422, str(error), errors=[{"field": error.field, "reason": error.reason}]
        ) from None
    except NotFoundError as error:
        raise ProblemError(404, str(error)) from None
    except (ActorNotAllowedError, RoleNotSelfServeError, UserDisabledError) as error:
        raise ProblemError(403, str(error)) from None
    except (UserErasedError, PersonalDataErasedError) as error:
        raise ProblemError(410, str(error)) from None
    except (ClaimTakenError, ConcurrencyConflictError) as error:
        raise ProblemError(409, str(error)) from None
    except DomainError as error:
        raise ProblemError(409, str(error)) from None
