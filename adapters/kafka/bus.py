"""Message bus on Apache Kafka through kafka-python.

Consumer groups hand over quickly (README "Operations: outages"). A member that stops
sends LeaveGroup in ``close()``, so the group rebalances at once. A member that dies
without a word is noticed when its session times out: ``SESSION_TIMEOUT_MS``, the
broker's smallest allowed (``group.min.session.timeout.ms``, 6 s by default), with a
heartbeat every second. ``MAX_POLL_INTERVAL_MS`` is also how long a rebalance waits
for a live member busy between polls: one minute outlasts a message waiting out a
short outage, and a member stuck longer leaves the group (it rejoins on its next
poll). Every client reconnects within ``RECONNECT_BACKOFF_MAX_MS`` of a broker coming
back, not kafka-python's 30 s.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import kafka
import kafka.errors
from kafka.admin import KafkaAdminClient, OffsetSpec
from kafka.protocol.metadata import MetadataRequest, MetadataResponse

from ports.errors import BackendUnavailableError
from ports.messages import Message, TopicLag

SESSION_TIMEOUT_MS = 6_000
HEARTBEAT_INTERVAL_MS = 1_000  # a third of the session or less, as Kafka asks
MAX_POLL_INTERVAL_MS = 60_000
# A request the broker does not answer (a connection half gone) fails after this.
REQUEST_TIMEOUT_MS = 10_000
RECONNECT_BACKOFF_MAX_MS = 1_000
# A consumer made while Kafka is down gives up after this (its loop tries again).
CONSUMER_BOOTSTRAP_TIMEOUT_MS = 5_000
# Leaving the group on close: plenty when Kafka is up, short when it is down.
CLOSE_TIMEOUT_MS = 3_000
# ``consumer_lag`` (status and readiness) gives up on each step after this.
ADMIN_TIMEOUT_MS = 3_000
# Metadata v4: the oldest version Kafka 4 still serves, understood since Kafka 1.0.
_METADATA_VERSION = 4


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
        # ``ping`` gives up after this, whatever the broker does.
        ping_timeout_seconds: float = 2.0,
    ) -> None:
        self._bootstrap = bootstrap_servers
        self._client_id = client_id
        self._bootstrap_timeout_ms = bootstrap_timeout_ms
        self._ping_timeout_seconds = ping_timeout_seconds
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
                        reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS,
                    )
                except kafka.errors.KafkaError as error:
                    raise BackendUnavailableError(f"kafka: {error}") from error
            return self._producer

    def ping(self) -> None:
        """One Metadata request on a plain socket, within ``ping_timeout_seconds``.

        kafka-python's clients first bootstrap on their own clock (30 s by default)
        and start a network thread; a socket with a deadline cannot outlive it.
        """
        deadline = time.monotonic() + self._ping_timeout_seconds
        failure: Exception | None = None
        for address in _addresses(self._bootstrap):
            try:
                _request_metadata(address, deadline, self._client_id)
            except (OSError, ValueError, kafka.errors.KafkaError) as error:
                failure = error
                continue
            return
        raise BackendUnavailableError(f"kafka: {failure}") from failure

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

    def consumer_lag(self, group_id: str, topics: Sequence[str]) -> list[TopicLag]:
        try:
            admin = KafkaAdminClient(
                bootstrap_servers=self._bootstrap,
                client_id=f"{self._client_id}-lag",
                request_timeout_ms=ADMIN_TIMEOUT_MS,
                bootstrap_timeout_ms=ADMIN_TIMEOUT_MS,
                reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS,
            )
        except kafka.errors.KafkaError as error:
            raise BackendUnavailableError(f"kafka: {error}") from error
        try:
            return _lag_of(admin, group_id, list(topics))
        except (kafka.errors.KafkaError, OSError) as error:
            raise BackendUnavailableError(f"kafka: {error}") from error
        finally:
            admin.close()


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
                session_timeout_ms=SESSION_TIMEOUT_MS,
                heartbeat_interval_ms=HEARTBEAT_INTERVAL_MS,
                max_poll_interval_ms=MAX_POLL_INTERVAL_MS,
                request_timeout_ms=REQUEST_TIMEOUT_MS,
                reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS,
                bootstrap_timeout_ms=CONSUMER_BOOTSTRAP_TIMEOUT_MS,
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
        """Leave the group (LeaveGroup): another member takes over at once."""
        self._consumer.close(autocommit=False, timeout_ms=CLOSE_TIMEOUT_MS)


def _addresses(bootstrap_servers: str) -> list[tuple[str, int]]:
    found = []
    for item in bootstrap_servers.split(","):
        host, _, port = item.strip().rpartition(":")
        if not host:  # no port given
            host, port = port, "9092"
        found.append((host.strip("[]"), int(port)))
    return found


def _request_metadata(
    address: tuple[str, int], deadline: float, client_id: str
) -> None:
    """Send a Metadata request (no topics) and check the broker lists a broker."""

    def remaining() -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no answer in time")
        return left

    request = MetadataRequest(topics=[], allow_auto_topic_creation=False)
    request.API_VERSION = _METADATA_VERSION
    request.with_header(correlation_id=1, client_id=f"{client_id}-health")
    with socket.create_connection(address, timeout=remaining()) as connection:
        connection.settimeout(remaining())
        connection.sendall(request.encode(header=True, framed=True))

        def read(size: int) -> bytes:
            data = bytearray()
            while len(data) < size:
                connection.settimeout(remaining())
                chunk = connection.recv(size - len(data))
                if not chunk:
                    raise ConnectionError("the broker closed the connection")
                data += chunk
            return bytes(data)

        (size,) = struct.unpack(">i", read(4))
        response = MetadataResponse.decode(
            read(size), version=_METADATA_VERSION, header=True
        )
    if not response.brokers:
        raise ConnectionError("the broker lists no live broker yet")


def _lag_of(admin: Any, group_id: str, topics: list[str]) -> list[TopicLag]:
    partitions = {
        described["name"]: [
            kafka.TopicPartition(described["name"], p["partition_index"])
            for p in described["partitions"]
        ]
        for described in admin.describe_topics(topics)
    }
    every = [tp for topic in topics for tp in partitions.get(topic, [])]
    if not every:
        return [TopicLag(topic, None, 0, 0) for topic in topics]
    ends = admin.list_partition_offsets(dict.fromkeys(every, OffsetSpec.LATEST))
    starts = admin.list_partition_offsets(dict.fromkeys(every, OffsetSpec.EARLIEST))
    committed = admin.list_group_offsets({group_id: every}).get(group_id, {})
    lags = []
    for topic in topics:
        total_committed: int | None = None
        end = lag = 0
        for tp in partitions.get(topic, []):
            found = committed.get(tp)
            offset = found.offset if found is not None and found.offset >= 0 else None
            if offset is not None:
                total_committed = (total_committed or 0) + offset
            end += ends[tp].offset
            lag += max(0, ends[tp].offset - max(offset or 0, starts[tp].offset))
        lags.append(TopicLag(topic, total_committed, end, lag))
    return lags
