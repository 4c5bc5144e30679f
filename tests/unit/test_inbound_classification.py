"""What an inbound consumer does with a handler's failure, by the failure's kind."""

from __future__ import annotations

import pytest

from adapters.kafka.inbound import Disposition, classify_error
from commands.base import ConcurrencyConflictError
from commands.inbound import PoisonMessageError
from domain.base import ConflictError, NotFoundError, UnavailableError
from ports.errors import BackendUnavailableError


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
    ],
)
def test_failures_are_parked_retried_or_waited_out(
    error: BaseException, disposition: Disposition
) -> None:
    assert classify_error(error) is disposition
