"""What an inbound consumer does with a handler's failure, by the failure's kind."""

from __future__ import annotations

import psycopg
import pytest
from eventsourcing.persistence import OperationalError

from adapters.kafka.inbound import Disposition, classify_error
from commands.base import ConcurrencyConflictError
from commands.inbound import PoisonMessageError
from domain.base import ConflictError, NotFoundError, UnavailableError
from ports.errors import BackendUnavailableError


def _raised_from(cause: BaseException) -> BaseException:
    try:
        raise RuntimeError("could not save") from cause
    except RuntimeError as error:
        return error


@pytest.mark.parametrize(
    ("error", "disposition"),
    [
        # The same command would be refused again: park it at once.
        (PoisonMessageError("no npo_id"), Disposition.PARK),
        (NotFoundError("No such NPO."), Disposition.PARK),
        (ConflictError("The NPO was deleted."), Disposition.PARK),
        # Another writer got there first, or a bug: try a few more times.
        (ConcurrencyConflictError("changed while saving"), Disposition.RETRY),
        (RuntimeError("unexpected"), Disposition.RETRY),
        # Something is down: wait for it, never park.
        (UnavailableError("directory unreachable"), Disposition.WAIT),
        (BackendUnavailableError("redis"), Disposition.WAIT),
        (ConnectionError("refused"), Disposition.WAIT),
        (TimeoutError(), Disposition.WAIT),
        # A driver's own "the database went away" (PEP 249), raw or wrapped.
        (psycopg.OperationalError("server closed the connection"), Disposition.WAIT),
        (psycopg.InterfaceError("the connection is closed"), Disposition.WAIT),
        (OperationalError("terminating connection"), Disposition.WAIT),
        (_raised_from(ConnectionError("reset")), Disposition.WAIT),
    ],
)
def test_failures_are_parked_retried_or_waited_out(
    error: BaseException, disposition: Disposition
) -> None:
    assert classify_error(error) is disposition
