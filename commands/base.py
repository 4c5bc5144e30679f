"""What every command handler shares: the message base, results, bounded retries.

A command is a typed message (``Command``): who acts (``Actor``: user id, the roles
their access token carries, the request's correlation id) and what they ask. Each
context lists its messages in ``commands/<context>/messages.py`` and one handler per
message in ``commands/<context>/handlers.py``; ``commands.dispatch.Dispatcher`` is the
one way in, for HTTP, inbound messages and the command line alike.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Sequence
from copy import deepcopy
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import Application, ProcessingEvent, Repository
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Notification, Recording
from eventsourcing.utils import EnvType, strtobool
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from commands.aggregate_turns import (
    AggregateTakenError,
    AggregateTurns,
    claim_loaded,
    deciding,
)
from commands.group_commit import GroupCommit
from domain.base import SYSTEM_ACTOR, ConflictError
from domain.moved_topics import register_moved_topics

STALE_WRITE_ATTEMPTS = 5
# A command told an aggregate it needs is taken waits for it and decides again; it
# gives up (409) if that keeps happening.
TAKEN_AGGREGATE_ATTEMPTS = 50

ResultT = TypeVar("ResultT")


def _json_integer(value: object) -> object:
    if isinstance(value, bool | str | bytes):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


# An integer as JSON has it (3, or 3.0): not true/false, not the text "3". Bounds of
# an optional one go before it (``Annotated[int, Field(ge=0), JSON_INTEGER] | None``),
# or the document loses them.
JSON_INTEGER = BeforeValidator(_json_integer)
JsonInt = Annotated[int, JSON_INTEGER]


class Actor(BaseModel):
    """Who acts, with which roles, in which request (every command carries one)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user_id: str = Field(description="A user id, or 'system' for the platform.")
    roles: frozenset[str] = frozenset()
    correlation_id: str = Field(min_length=1, max_length=100)

    @classmethod
    def system(cls, correlation_id: str | None = None) -> Actor:
        """The platform itself: process managers, inbound messages, the operator."""
        return cls(
            user_id=SYSTEM_ACTOR, correlation_id=correlation_id or new_correlation_id()
        )

    def holds(self, role: str) -> bool:
        return role in self.roles


class Command(BaseModel, Generic[ResultT]):
    """A request to change something; ``ResultT`` is what its handler answers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    actor: Actor


class ConcurrencyConflictError(ConflictError):
    """The aggregate kept changing under us; the caller may try again."""


@dataclass(frozen=True)
class CommandResult:
    """What a command answers: the ids it touched and where its events landed.

    ``position`` is the notification id of the last event in ``source``'s log; a
    query given ``consistency_token`` waits until its views have reached it.
    """

    ids: tuple[str, ...]
    source: str
    position: int | None

    @property
    def consistency_token(self) -> str | None:
        if self.position is None:
            return None
        return f"{self.source}:{self.position}"


class CopyUnderLockRepository(Repository[UUID]):
    """eventsourcing 9.5's repository, with the cache copy taken under the lock.

    The library fast-forwards a cached aggregate in place under a per-aggregate lock
    but deep-copies it for the caller *outside* that lock, so a reader can copy it
    while another thread changes it ("dictionary changed size during iteration").
    Here the copy is taken holding the same lock.

    Inside a command's decision, each aggregate is claimed before it is loaded
    (``commands.aggregate_turns``): commands on one aggregate take turns.
    """

    def get(
        self,
        aggregate_id: UUID,
        *,
        version: int | None = None,
        deepcopy_from_cache: bool = True,
        **kwargs: Any,
    ) -> Any:
        claim_loaded(self, aggregate_id)
        copy_here = (
            self.cache is not None
            and version is None
            and deepcopy_from_cache
            and self.deepcopy_from_cache
        )
        if not copy_here:
            return super().get(
                aggregate_id,
                version=version,
                deepcopy_from_cache=deepcopy_from_cache,
                **kwargs,
            )
        cached = super().get(aggregate_id, deepcopy_from_cache=False, **kwargs)
        lock = self._use_fastforward_lock(aggregate_id)
        try:
            with lock:
                return deepcopy(cached)
        finally:
            self._disuse_fastforward_lock(aggregate_id)


class SpotlightApplication(Application[UUID]):
    """A bounded context. Subclasses set ``name``: it names tables and env keys."""

    name = "spotlight"

    def __init__(self, env: EnvType | None = None) -> None:
        register_moved_topics()  # before anything stored under an old topic is read
        super().__init__(env)
        # Decisions that must not race within this process (assignments) take this
        # lock (``commands.unit_of_work.run_unit``); across processes the event
        # store's version check decides.
        self.decision_lock = threading.Lock()
        # Jitter between conflict retries: a generator of its own leaves the
        # process-wide one (which tests seed) alone.
        self.jitter = random.Random()  # noqa: S311 - jitter, not secrecy
        # Saves arriving together share a transaction; commands on one aggregate
        # take turns (see ``execute``).
        self.group_commit = GroupCommit(self._insert_stored_events)
        self.aggregate_turns = AggregateTurns()

    def construct_repository(self) -> Repository[UUID]:
        # As the library builds it, but with CopyUnderLockRepository.
        maxsize = self.env.get(self.AGGREGATE_CACHE_MAXSIZE)
        return CopyUnderLockRepository(
            event_store=self.events,
            snapshot_store=self.snapshots,
            cache_maxsize=int(maxsize) if maxsize else None,
            fastforward=strtobool(self.env.get(self.AGGREGATE_CACHE_FASTFORWARD, "y")),
            fastforward_skipping=strtobool(
                self.env.get(self.AGGREGATE_CACHE_FASTFORWARD_SKIPPING, "n")
            ),
            deepcopy_from_cache=strtobool(
                self.env.get(self.DEEPCOPY_FROM_AGGREGATE_CACHE, "y")
            ),
        )

    def _insert_stored_events(self, events: Sequence[Any]) -> Sequence[int] | None:
        # ``self.recorder`` at call time: the composition root may guard it later.
        return self.recorder.insert_events(events)

    def _record(self, processing_event: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        """As the library records, but through ``group_commit``."""
        if processing_event.tracking is not None or processing_event.saved_kwargs:
            return super()._record(processing_event)
        domain_events = processing_event.events
        if not domain_events:
            return []
        stored = [self.mapper.to_stored_event(event) for event in domain_events]
        ids = self.group_commit.append(stored)
        recordings = [
            Recording(
                domain_event,
                Notification(
                    originator_id=s.originator_id,
                    originator_version=s.originator_version,
                    topic=s.topic,
                    state=s.state,
                    id=notification_id,
                ),
            )
            for domain_event, s, notification_id in zip(
                domain_events, stored, ids or (), strict=False
            )
        ]
        if self.repository.cache and not self.repository.fastforward:
            for aggregate_id, aggregate in processing_event.aggregates.items():
                self.repository.cache.put(aggregate_id, aggregate)
        return recordings

    def on_recorded(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after each save (the engine wakes on it in-process)."""
        self._recorded_listeners = [*getattr(self, "_recorded_listeners", []), listener]

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        for listener in getattr(self, "_recorded_listeners", ()):
            listener()

    def save_changes(self, *aggregates: Aggregate | None) -> CommandResult:
        recordings = self.save(*aggregates)
        position = recordings[-1].notification.id if recordings else None
        ids = tuple(dict.fromkeys(str(a.id) for a in aggregates if a is not None))
        return CommandResult(ids=ids, source=self.name, position=position)

    def execute(
        self,
        decide: Callable[[], Sequence[Aggregate | None]],
        attempts: int = STALE_WRITE_ATTEMPTS,
    ) -> CommandResult:
        """Load, decide and save; when another writer got there first, do it again.

        ``decide`` must load the aggregates it changes afresh on each call. What it
        loads is held until saved, so commands on one aggregate take turns in this
        process (``commands.aggregate_turns``); across processes, the event
        store's version check decides.
        """
        stale = taken = 0
        with deciding(self.aggregate_turns, self.repository) as decision:
            while stale < attempts and taken < TAKEN_AGGREGATE_ATTEMPTS:
                try:
                    aggregates = decide()
                except AggregateTakenError as busy:
                    taken += 1
                    decision.wait_for(busy.aggregate_id)
                    continue
                try:
                    return self.save_changes(*aggregates)
                except IntegrityError:
                    stale += 1  # another writer saved first: decide again
        raise ConcurrencyConflictError(
            "The record changed while saving; please try again."
        )


def new_correlation_id() -> str:
    return uuid4().hex
