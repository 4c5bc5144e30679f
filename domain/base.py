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


class DomainError(Exception):
    """A rule of the domain refused the change; the message is safe to show."""


class NotFoundError(DomainError):
    """No such aggregate (or not visible to the caller)."""


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
