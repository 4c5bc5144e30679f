"""Message bus on Apache Kafka through kafka-python."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

import kafka
import kafka.errors
from kafka.admin import KafkaAdminClient

from ports.errors import BackendUnavailableError
from ports.messages import Message


class KafkaMessageBus:
    """Producer made on first use, so the service starts while Kafka is down."""

    def __init__(
        self,
        bootstrap_servers: str,
        client_id: str = "spotlight",
        *,
        # How long a producer keeps trying to reach the cluster before failing
        # (kafka-python's default is 30 s); tests of outages use a short one.
        bootstrap_timeout_ms: int = 30_000,
    ) -> None:
        self._bootstrap = bootstrap_servers
        self._client_id = client_id
        self._bootstrap_timeout_ms = bootstrap_timeout_ms
        self._producer: Any = None
        self._lock = threading.Lock()

    def _get_producer(self) -> Any:
        with self._lock:
            if self._producer is None:
                try:
                    self._producer = kafka.KafkaProducer(
                        bootstrap_servers=self._bootstrap,
                        client_id=self._client_id,
                        acks="all",
                        enable_idempotence=True,
                        linger_ms=2,
                        request_timeout_ms=10_000,
                        max_block_ms=10_000,
                        bootstrap_timeout_ms=self._bootstrap_timeout_ms,
                    )
                except kafka.errors.KafkaError as error:
                    raise BackendUnavailableError(f"kafka: {error}") from error
            return self._producer

    def ping(self) -> None:
        try:
            admin = KafkaAdminClient(
                bootstrap_servers=self._bootstrap,
                client_id=f"{self._client_id}-health",
                request_timeout_ms=3000,
            )
        except kafka.errors.KafkaError as error:
            raise BackendUnavailableError(f"kafka: {error}") from error
        try:
            admin.describe_cluster()
        except kafka.errors.KafkaError as error:
            raise BackendUnavailableError(f"kafka: {error}") from error
        finally:
            admin.close()

    def publish(
        self,
        topic: str,
        key: str | None,
        value: bytes,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        producer = self._get_producer()
        encoded_headers = [(k, v.encode()) for k, v in (headers or {}).items()]
        try:
            future = producer.send(
                topic,
                key=key.encode() if key is not None else None,
                value=value,
                headers=encoded_headers,
            )
            future.get(timeout=15)
        except kafka.errors.KafkaError as error:
            raise BackendUnavailableError(f"kafka: {error}") from error

    def publish_many(self, messages: Sequence[Message]) -> None:
        """Send a batch, then wait until the broker has all of it (acks=all).

        Added for integration events (``projections.integration_events``): one wait
        per batch instead of one per message. The idempotent producer keeps each
        partition's order. If any message fails the whole call raises, and the
        caller sends the batch again (at least once).
        """
        producer = self._get_producer()
        try:
            futures = [
                producer.send(
                    m.topic,
                    key=m.key.encode() if m.key is not None else None,
                    value=m.value,
                    headers=[(k, v.encode()) for k, v in m.headers.items()],
                )
                for m in messages
            ]
            for future in futures:
                future.get(timeout=15)
        except kafka.errors.KafkaError as error:
            raise BackendUnavailableError(f"kafka: {error}") from error

    def close(self) -> None:
        with self._lock:
            if self._producer is not None:
                self._producer.close(timeout=5)
                self._producer = None

    def consumer(self, topics: Sequence[str], group_id: str) -> KafkaMessageConsumer:
        return KafkaMessageConsumer(self._bootstrap, list(topics), group_id)


class KafkaMessageConsumer:
    """A consumer-group member that commits only when told (after the effect)."""

    def __init__(self, bootstrap_servers: str, topics: list[str], group_id: str):
        try:
            self._consumer = kafka.KafkaConsumer(
                *topics,
                bootstrap_servers=bootstrap_servers,
                group_id=group_id,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
            )
        except kafka.errors.KafkaError as error:
            raise BackendUnavailableError(f"kafka: {error}") from error

    def poll(self, timeout_seconds: float, max_messages: int = 500) -> list[Message]:
        records = self._consumer.poll(
            timeout_ms=int(timeout_seconds * 1000), max_records=max_messages
        )
        return [
            Message(
                topic=record.topic,
                key=record.key.decode() if record.key is not None else None,
                value=record.value,
                headers={k: v.decode() for k, v in (record.headers or [])},
                partition=record.partition,
                offset=record.offset,
            )
            for partition_records in records.values()
            for record in partition_records
        ]

    def commit(self) -> None:
        self._consumer.commit()

    def close(self) -> None:
        self._consumer.close(autocommit=False)
