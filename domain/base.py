"""What every aggregate of the service shares: who acted, and in which request.

Every event records the acting user id and a correlation id. Handlers set both with
``acting_as(...)``; aggregates stamp them on each event they trigger, so domain methods
stay free of that bookkeeping.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

SYSTEM_ACTOR = "system"


# --- Refusals ----------------------------------------------------------------------
# Every refusal of every context derives from one of these few bases; the HTTP adapter
# maps the bases (not the leaves) to statuses in one place. Messages are written to be
# shown to the caller and never quote personal data.


class DomainError(Exception):
    """A rule of the domain refused the change; the message is safe to show."""

    def extensions(self) -> dict[str, object]:
        """Further facts about the refusal, each safe to show to the caller it is
        raised for (the HTTP adapter adds them to the problem document)."""
        return {}


class NotAllowedError(DomainError):
    """The acting user may not do this (their roles, or it is not theirs)."""


class InvalidFieldError(DomainError):
    """A value breaks a rule; ``field`` names it (dotted path), ``reason`` says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class TooLargeError(InvalidFieldError):
    """A value (a file, a list) is larger than the limit."""


class UnsupportedContentError(InvalidFieldError):
    """Content of a kind that is not accepted (judged by what it is, not its name)."""


class NotFoundError(DomainError):
    """No such thing (or not visible to the caller)."""


class GoneError(NotFoundError):
    """It existed and was erased; it will not come back."""


class ConflictError(DomainError):
    """The current state does not allow this (or changed while deciding)."""


class UnavailableError(DomainError):
    """Something the decision needs cannot be reached now; trying later may work."""


@dataclass(frozen=True)
class Acting:
    actor_id: str
    correlation_id: str


_SYSTEM = Acting(SYSTEM_ACTOR, "-")
_acting: ContextVar[Acting | None] = ContextVar("spotlight_acting", default=None)


@contextmanager
def acting_as(actor_id: str | UUID, correlation_id: str) -> Iterator[Acting]:
    """Stamp events triggered inside the block with this actor and correlation."""
    acting = Acting(str(actor_id), correlation_id)
    token = _acting.set(acting)
    try:
        yield acting
    finally:
        _acting.reset(token)


def current_acting() -> Acting:
    return _acting.get() or _SYSTEM


class SpotlightAggregate(Aggregate):
    """Base aggregate whose events carry ``actor_id`` and ``correlation_id``."""

    class Event(Aggregate.Event):
        actor_id: str
        correlation_id: str

    class Created(Event, Aggregate.Created):
        pass

    def trigger_event(
        self,
        event_class: type[Any],
        **kwargs: Any,
    ) -> None:
        acting = current_acting()
        kwargs.setdefault("actor_id", acting.actor_id)
        kwargs.setdefault("correlation_id", acting.correlation_id)
        super().trigger_event(event_class, **kwargs)

    @classmethod
    def _create(
        cls,
        event_class: type[Any],
        *,
        id: Any = None,
        **kwargs: Any,
    ) -> Any:
        acting = current_acting()
        kwargs.setdefault("actor_id", acting.actor_id)
        kwargs.setdefault("correlation_id", acting.correlation_id)
        return super()._create(event_class, id=id, **kwargs)
