"""What a context declares to turn inbound integration events into commands.

A context hands the composition root a table of handlers keyed by integration event
type (``InboundHandlers``); each handler turns an ``IntegrationEvent`` into a command.
A handler that decides a message can never be handled raises ``PoisonMessageError``,
and the message is parked in its topic's dead-letter queue. The consumer that runs
the table (dedup, retries, dead letters) is an adapter:
``adapters.kafka.inbound.InboundConsumer``.

Handlers must be idempotent where a duplicate would hurt: a crash after the command
saved its events and before the consumer recorded the message runs the handler again
(create aggregates with ``IntegrationEvent.derived_id`` and treat "it already exists"
as done).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from projections.integration_events import IntegrationEvent

InboundHandler = Callable[[IntegrationEvent], object]

# Handlers by integration event type; a type not in the table is skipped.
InboundHandlers = Mapping[str, InboundHandler]


class PoisonMessageError(Exception):
    """A handler's verdict: this message can never be handled; park it."""
