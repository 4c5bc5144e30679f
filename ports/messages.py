"""The message bus port (Kafka; in memory when embedded)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ports.health import Pingable


@dataclass(frozen=True)
class Message:
    topic: str
    key: str | None
    value: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    partition: int = 0
    offset: int = 0


class MessagePublisher(Pingable, Protocol):
    def publish(
        self,
        topic: str,
        key: str | None,
        value: bytes,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Send and wait until the broker has it durably (acks=all)."""
        ...

    def close(self) -> None: ...


class MessageConsumer(Protocol):
    def poll(self, timeout_seconds: float, max_messages: int = 500) -> list[Message]:
        """Messages after the group's committed position (or after the last poll)."""
        ...

    def commit(self) -> None:
        """Commit every message returned so far, after its effect is done."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class TopicLag:
    """Where a consumer group stands on one topic, summed over its partitions."""

    topic: str
    # The offsets the group has committed; None when it has committed none there.
    committed: int | None
    # The offset the next message will get (the end of the log).
    end: int
    # Messages after the committed offsets (from the log's start where none is).
    lag: int


class MessageBus(MessagePublisher, Protocol):
    def consumer(self, topics: Sequence[str], group_id: str) -> MessageConsumer: ...

    def consumer_lag(self, group_id: str, topics: Sequence[str]) -> list[TopicLag]:
        """Per topic, in the order given: the group's committed offsets, the end of
        the log and the lag. Raises ``BackendUnavailableError`` when the broker does
        not answer within a few seconds."""
        ...
