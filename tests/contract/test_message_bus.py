"""One contract for the message bus port, run in memory and on Kafka."""

from __future__ import annotations

import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator

import pytest

from adapters.embedded.bus import InMemoryMessageBus
from adapters.kafka.bus import KafkaMessageBus
from ports.messages import Message, MessageBus, MessageConsumer, TopicLag


def drain(
    consumer: MessageConsumer, expected: int, timeout_seconds: float = 20
) -> list[Message]:
    received: list[Message] = []
    deadline = time.monotonic() + timeout_seconds
    while len(received) < expected and time.monotonic() < deadline:
        received.extend(consumer.poll(0.5))
    return received


class MessageBusContract(ABC):
    @abstractmethod
    @pytest.fixture
    def bus(self) -> MessageBus: ...

    @pytest.fixture
    def topic(self) -> str:
        return f"contract-{uuid.uuid4().hex[:12]}"

    def test_published_messages_reach_a_consumer_with_key_and_headers(
        self, bus: MessageBus, topic: str
    ) -> None:
        bus.publish(topic, "npo-1", b'{"n": 1}', {"event-type": "OfferingCreated"})
        consumer = bus.consumer([topic], group_id=f"g-{uuid.uuid4().hex[:8]}")
        try:
            [message] = drain(consumer, 1)
        finally:
            consumer.close()
        assert message.topic == topic
        assert message.key == "npo-1"
        assert message.value == b'{"n": 1}'
        assert message.headers == {"event-type": "OfferingCreated"}

    def test_messages_with_one_key_keep_their_order(
        self, bus: MessageBus, topic: str
    ) -> None:
        for i in range(20):
            bus.publish(topic, "same-key", str(i).encode())
        consumer = bus.consumer([topic], group_id=f"g-{uuid.uuid4().hex[:8]}")
        try:
            received = drain(consumer, 20)
        finally:
            consumer.close()
        assert [int(m.value) for m in received] == list(range(20))

    def test_a_group_resumes_after_its_last_commit(
        self, bus: MessageBus, topic: str
    ) -> None:
        group = f"g-{uuid.uuid4().hex[:8]}"
        for i in range(3):
            bus.publish(topic, "k", f"first-{i}".encode())
        first = bus.consumer([topic], group_id=group)
        try:
            assert len(drain(first, 3)) == 3
            first.commit()
        finally:
            first.close()

        bus.publish(topic, "k", b"second")
        again = bus.consumer([topic], group_id=group)
        try:
            received = drain(again, 1)
        finally:
            again.close()
        assert [m.value for m in received] == [b"second"]

    def test_uncommitted_messages_are_delivered_again(
        self, bus: MessageBus, topic: str
    ) -> None:
        group = f"g-{uuid.uuid4().hex[:8]}"
        bus.publish(topic, "k", b"not yet done")
        first = bus.consumer([topic], group_id=group)
        try:
            assert len(drain(first, 1)) == 1
        finally:
            first.close()  # closed without commit: the effect did not happen
        again = bus.consumer([topic], group_id=group)
        try:
            assert [m.value for m in drain(again, 1)] == [b"not yet done"]
        finally:
            again.close()

    def test_ping_answers(self, bus: MessageBus) -> None:
        bus.ping()

    def test_consumer_lag_counts_what_a_group_has_not_committed(
        self, bus: MessageBus, topic: str
    ) -> None:
        group = f"g-{uuid.uuid4().hex[:8]}"
        # Check a topic nobody wrote to has nothing to wait for.
        assert bus.consumer_lag(group, [topic]) == [TopicLag(topic, None, 0, 0)]
        for i in range(3):
            bus.publish(topic, "k", f"first-{i}".encode())
        assert bus.consumer_lag(group, [topic]) == [TopicLag(topic, None, 3, 3)]
        consumer = bus.consumer([topic], group_id=group)
        try:
            assert len(drain(consumer, 3)) == 3
            consumer.commit()
        finally:
            consumer.close()
        bus.publish(topic, "k", b"second")
        # Check the lag counts from the committed offset, per topic asked.
        other = f"{topic}-other"
        assert bus.consumer_lag(group, [topic, other]) == [
            TopicLag(topic, 3, 4, 1),
            TopicLag(other, None, 0, 0),
        ]


class TestInMemoryMessageBus(MessageBusContract):
    @pytest.fixture
    def bus(self) -> MessageBus:
        return InMemoryMessageBus()


class TestKafkaMessageBus(MessageBusContract):
    @pytest.fixture
    def bus(self, kafka_bootstrap: str) -> Iterator[MessageBus]:
        bus = KafkaMessageBus(kafka_bootstrap)
        yield bus
        bus.close()
