"""The correlation id of the work in hand, for every log line written meanwhile.

An HTTP request's (``adapters.observability.requests``), an inbound message's
(``adapters.kafka.inbound``) or a stored event's a reaction handles (the process
managers): whoever starts a piece of work says which id it carries, and the log
formatter (``adapters.observability.logs``) reads it. Events take theirs from the
actor of the command (``domain.base.acting_as``), set from the same id.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

_current: ContextVar[str | None] = ContextVar("spotlight_correlation", default=None)


def current_correlation_id() -> str | None:
    """The id of the work in hand, None outside any."""
    return _current.get()


def enter_correlation(correlation_id: str | None) -> Token[str | None]:
    """Set the id until ``leave_correlation(token)`` (for ASGI middleware)."""
    return _current.set(correlation_id)


def leave_correlation(token: Token[str | None]) -> None:
    _current.reset(token)


@contextmanager
def correlated(correlation_id: str | None) -> Iterator[None]:
    """Inside the block, the work in hand carries ``correlation_id`` (None or ""
    keeps the enclosing one)."""
    if not correlation_id:
        yield
        return
    token = _current.set(correlation_id)
    try:
        yield
    finally:
        _current.reset(token)
