"""Integration events of the sample Notebook, and a second context that consumes them.

``NotebookIntegrationEvents`` publishes notes without their author or text (personal
data). ``Ledgers`` is a receiving context whose command is deliberately *not*
idempotent (it appends the note id to a list), so only the consumer's deduplication
keeps its effect exact.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from uuid import UUID, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import event

from commands.base import CommandResult, SpotlightApplication
from commands.inbound import InboundHandler
from domain.base import DomainError, SpotlightAggregate, acting_as
from ports.errors import BackendUnavailableError
from ports.messages import Message, MessagePublisher
from projections.integration_events import (
    IntegrationEvent,
    IntegrationEventsProjection,
    Outbound,
)

NOTES_TOPIC_BASE = "spotlight.notebook.notes"


def notebook_events_for(topic: str) -> type[IntegrationEventsProjection]:
    """The Notebook's integration events, published on ``topic`` (unique per test)."""

    class NotebookIntegrationEvents(IntegrationEventsProjection):
        name = "notebook_integration_events"
        sources = ("notebook",)
        outbound = (
            Outbound(
                "Note.Written",
                topic=topic,
                event_type="notebook.NoteWritten",
                fields=("actor_id",),
            ),
            Outbound("Note.Edited", topic=topic, event_type="notebook.NoteEdited"),
        )

    return NotebookIntegrationEvents


class Ledger(SpotlightAggregate):
    """Remembers every note it was told about, duplicates included."""

    @event("Opened")
    def __init__(self, id: UUID) -> None:
        self.note_ids: list[str] = []

    @event("NoteRecorded")
    def record(self, note_id: str) -> None:
        self.note_ids.append(note_id)


class LedgerClosedError(DomainError):
    """The ledger refuses notes from this source."""


class Ledgers(SpotlightApplication):
    name = "ledgers"

    LEDGER_ID = uuid5(UUID(int=0), "ledgers:notes")

    def record_note(self, note_id: str) -> CommandResult:
        def decide() -> list[Ledger]:
            try:
                ledger: Ledger = self.repository.get(self.LEDGER_ID)
            except AggregateNotFoundError:
                ledger = Ledger(id=self.LEDGER_ID)
            ledger.record(note_id)
            return [ledger]

        return self.execute(decide)

    def recorded(self) -> list[str]:
        try:
            ledger: Ledger = self.repository.get(self.LEDGER_ID)
        except AggregateNotFoundError:
            return []
        return list(ledger.note_ids)


def ledger_handlers(ledgers: Ledgers) -> Mapping[str, InboundHandler]:
    """NoteWritten → the RecordNote command, acting as the message's correlation."""

    def on_note_written(message: IntegrationEvent) -> object:
        with acting_as("inbound:notebook", message.correlation_id):
            return ledgers.record_note(str(message.aggregate_id))

    return {"notebook.NoteWritten": on_note_written}


class FlakyPublisher:
    """Fails the first ``failures`` publishes, then passes them to ``target``."""

    def __init__(self, target: MessagePublisher, failures: int) -> None:
        self.target = target
        self.failures = failures
        self.attempts = 0
        self._lock = threading.Lock()

    def _fail(self) -> None:
        with self._lock:
            self.attempts += 1
            if self.failures > 0:
                self.failures -= 1
                raise BackendUnavailableError("broker down (simulated)")

    def ping(self) -> None:
        self.target.ping()

    def publish(
        self,
        topic: str,
        key: str | None,
        value: bytes,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self._fail()
        self.target.publish(topic, key, value, headers)

    def publish_many(self, messages: Sequence[Message]) -> None:
        self._fail()
        for m in messages:
            self.target.publish(m.topic, m.key, m.value, m.headers)

    def close(self) -> None:
        self.target.close()


class SwitchablePublisher:
    """A publisher whose target a test swaps (a dead broker, then the real one)."""

    def __init__(self, target: MessagePublisher) -> None:
        self.target = target

    def ping(self) -> None:
        self.target.ping()

    def publish(
        self,
        topic: str,
        key: str | None,
        value: bytes,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.target.publish(topic, key, value, headers)

    def publish_many(self, messages: Sequence[Message]) -> None:
        many = getattr(self.target, "publish_many", None)
        if many is not None:
            many(messages)
            return
        for m in messages:
            self.target.publish(m.topic, m.key, m.value, m.headers)

    def close(self) -> None:
        self.target.close()
