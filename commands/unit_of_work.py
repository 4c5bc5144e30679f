"""Deciding with several aggregates at once, saving them together, retrying conflicts.

A handler that changes more than one aggregate (an assignment changes the subject,
the pool and the person chosen) decides inside ``run``: a fresh ``UnitOfWork`` loads
the aggregates, pure domain methods decide, and every aggregate loaded is saved in one
transaction (only those with new events write). A stale write is decided again, with
jittered back-off, so concurrent deciders collide by design and the loser decides
again on fresh state: that is how caps and queues hold across processes.

Within a process, ``serialised=True`` takes the application's ``decision_lock``
first, so threads queue instead of wasting attempts.

Each context subclasses ``UnitOfWork`` with shorthands for its aggregates
(``unit.npo(id)``, ``unit.candidate(id)``) and wraps ``run`` with its unit type.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Generic, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from commands.aggregate_turns import without_claims
from commands.base import (
    Actor,
    CommandResult,
    ConcurrencyConflictError,
    SpotlightApplication,
)
from domain.base import NotFoundError, acting_as

T = TypeVar("T", bound=Aggregate)
AppT = TypeVar("AppT", bound=SpotlightApplication)
UnitT = TypeVar("UnitT", bound="UnitOfWork[Any]")

# A stale write is decided again; across processes under heavy contention a few
# rounds may be needed, each after a short random pause.
CONFLICT_ATTEMPTS = 40
MAX_BACKOFF_SECONDS = 0.1


class UnitOfWork(Generic[AppT]):
    """The aggregates one decision loads; all of them are saved together."""

    def __init__(self, app: AppT) -> None:
        self.app = app
        self._loaded: dict[UUID, Aggregate] = {}

    def aggregates(self) -> list[Aggregate]:
        return list(self._loaded.values())

    def add(self, aggregate: T, *, primary: bool = False) -> T:
        """Include a new aggregate; ``primary`` puts its id first in the result."""
        if primary:
            self._loaded = {aggregate.id: aggregate, **self._loaded}
        else:
            self._loaded[aggregate.id] = aggregate
        return aggregate

    def find(self, kind: type[T], aggregate_id: UUID | str) -> T | None:
        try:
            key = aggregate_id if isinstance(aggregate_id, UUID) else UUID(aggregate_id)
        except ValueError:
            return None
        if key in self._loaded:
            found = self._loaded[key]
        else:
            try:
                found = self.app.repository.get(key)
            except AggregateNotFoundError:
                return None
            self._loaded[key] = found
        return found if isinstance(found, kind) else None

    def peek(self, kind: type[T], aggregate_id: UUID) -> T | None:
        """An aggregate to decide with, not to change: unless ``add``-ed, it is
        neither saved nor named in the command's result."""
        found = self._loaded.get(aggregate_id)
        if found is None:
            try:
                with without_claims():  # not changed here: no need to take turns
                    found = self.app.repository.get(aggregate_id)
            except AggregateNotFoundError:
                return None
        return found if isinstance(found, kind) else None

    def get(self, kind: type[T], aggregate_id: UUID | str, what: str) -> T:
        found = self.find(kind, aggregate_id)
        if found is None:
            raise NotFoundError(f"No such {what}.")
        return found


def run_unit(
    app: AppT,
    unit_type: Callable[[AppT], UnitT],
    actor: Actor,
    decide: Callable[[UnitT], object],
    *,
    serialised: bool = False,
) -> CommandResult:
    """Decide with a fresh unit of work, save everything, retry stale writes.

    ``decide`` loads through the unit of work it is given and may return anything
    (the result is ignored); ``serialised`` takes ``app.decision_lock`` around each
    attempt.
    """

    def attempt() -> Sequence[Aggregate]:
        unit = unit_type(app)
        decide(unit)
        return unit.aggregates()

    lock: AbstractContextManager[Any] = (
        app.decision_lock if serialised else nullcontext()
    )
    with acting_as(actor.user_id, actor.correlation_id):
        for tries in range(CONFLICT_ATTEMPTS):
            try:
                with lock:
                    return app.execute(attempt, attempts=1)
            except ConcurrencyConflictError:
                pause = min(MAX_BACKOFF_SECONDS, 0.002 * 2**tries)
                time.sleep(app.jitter.uniform(0, pause))
    raise ConcurrencyConflictError("The record changed while saving; please try again.")
