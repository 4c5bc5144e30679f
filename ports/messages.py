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


class MessageBus(MessagePublisher, Protocol):
    def consumer(self, topics: Sequence[str], group_id: str) -> MessageConsumer: ...
