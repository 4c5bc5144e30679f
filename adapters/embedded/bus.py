"""Message bus in process memory: an append-only log per topic, offsets per group."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

from ports.messages import Message, TopicLag


class InMemoryMessageBus:
    def __init__(self) -> None:
        self._topics: dict[str, list[Message]] = {}
        self._committed: dict[tuple[str, str], int] = {}
        self._changed = threading.Condition()

    def ping(self) -> None:
        return None

    def publish(
        self,
        topic: str,
        key: str | None,
        value: bytes,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        with self._changed:
            log = self._topics.setdefault(topic, [])
            log.append(Message(topic, key, value, dict(headers or {}), 0, len(log)))
            self._changed.notify_all()

    def close(self) -> None:
        return None

    def consumer(self, topics: Sequence[str], group_id: str) -> InMemoryConsumer:
        return InMemoryConsumer(self, list(topics), group_id)

    def consumer_lag(self, group_id: str, topics: Sequence[str]) -> list[TopicLag]:
        """From this process's own log: one partition per topic, starting at 0."""
        with self._changed:
            lags = []
            for topic in topics:
                end = len(self._topics.get(topic, []))
                committed = self._committed.get((group_id, topic))
                lag = max(0, end - (committed or 0))
                lags.append(TopicLag(topic, committed, end, lag))
            return lags

    # Used by InMemoryConsumer only.
    def _read(
        self, positions: dict[str, int], max_messages: int, timeout_seconds: float
    ) -> list[Message]:
        with self._changed:
            self._changed.wait_for(
                lambda: any(
                    len(self._topics.get(t, [])) > p for t, p in positions.items()
                ),
                timeout=timeout_seconds,
            )
            batch: list[Message] = []
            for topic, position in positions.items():
                batch.extend(self._topics.get(topic, [])[position:])
            return batch[:max_messages]

    def _committed_offset(self, group_id: str, topic: str) -> int:
        with self._changed:
            return self._committed.get((group_id, topic), 0)

    def _commit(self, group_id: str, positions: Mapping[str, int]) -> None:
        with self._changed:
            for topic, position in positions.items():
                self._committed[(group_id, topic)] = position


class InMemoryConsumer:
    def __init__(self, bus: InMemoryMessageBus, topics: list[str], group_id: str):
        self._bus = bus
        self._group_id = group_id
        self._positions = {t: bus._committed_offset(group_id, t) for t in topics}

    def poll(self, timeout_seconds: float, max_messages: int = 500) -> list[Message]:
        batch = self._bus._read(dict(self._positions), max_messages, timeout_seconds)
        for message in batch:
            self._positions[message.topic] = message.offset + 1
        return batch

    def commit(self) -> None:
        self._bus._commit(self._group_id, self._positions)

    def close(self) -> None:
        return None
