"""Integration events out to real Kafka, and back in as commands, deduped in PostgreSQL.

The topic has three partitions: order holds per key (per aggregate), not globally,
so these tests compare sets and counts where messages cross partitions.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from urllib.parse import quote

import pytest

from adapters.embedded.cache import InMemoryCache
from adapters.embedded.documents import InMemoryDocumentStore
from adapters.kafka.bus import KafkaMessageBus
from adapters.kafka.inbound import InboundConsumer
from adapters.postgres.database import eventsourcing_environment
from adapters.postgres.views import PostgresRelationalStore
from domain.base import acting_as
from ports.messages import Message, MessageBus
from projections.contracts import ViewPorts
from projections.engine import ProjectionEngine
from tests.support.integration import (
    Ledgers,
    SwitchablePublisher,
    ledger_handlers,
    notebook_events_for,
)
from tests.support.notes import Note, Notebook

PROJECTION = "notebook_integration_events"
PERSONAL = ("author", "Grace", "Hopper", "text", "diary")


@pytest.fixture
def views(postgres_url: str, postgres_schema: str) -> Iterator[PostgresRelationalStore]:
    options = quote(f"-csearch_path={postgres_schema}")
    separator = "&" if "?" in postgres_url else "?"
    store = PostgresRelationalStore(f"{postgres_url}{separator}options={options}")
    yield store
    store.close()


def _env(postgres_url: str, schema: str) -> dict[str, str]:
    env = eventsourcing_environment(postgres_url, pool_size=2, max_overflow=2)
    env["POSTGRES_SCHEMA"] = schema
    return env


@pytest.fixture
def notebook(postgres_url: str, postgres_schema: str) -> Iterator[Notebook]:
    app = Notebook(env=_env(postgres_url, postgres_schema))
    yield app
    app.close()


@pytest.fixture
def ledgers(postgres_url: str, postgres_schema: str) -> Iterator[Ledgers]:
    app = Ledgers(env=_env(postgres_url, postgres_schema))
    yield app
    app.close()


@pytest.fixture
def bus(kafka_bootstrap: str) -> Iterator[KafkaMessageBus]:
    bus = KafkaMessageBus(kafka_bootstrap)
    yield bus
    bus.close()


@pytest.fixture
def topic() -> str:
    return f"it-notes-{uuid.uuid4().hex[:12]}"


def make_engine(
    notebook: Notebook,
    views: PostgresRelationalStore,
    publisher: object,
    topic: str,
) -> ProjectionEngine:
    ports = ViewPorts(InMemoryDocumentStore(), InMemoryCache(), publisher)  # type: ignore[arg-type]
    return ProjectionEngine(
        views,
        {"notebook": notebook},
        [notebook_events_for(topic)],
        ports,
        batch_size=50,
        retry_delay_seconds=0.05,
    )


def write_notes(notebook: Notebook, count: int) -> list[str]:
    ids = []
    with acting_as("user-9", "corr-9"):
        for i in range(count):
            note = Note("Grace Hopper", f"private diary {i}")
            notebook.save(note)
            ids.append(str(note.id))
    return ids


def read_topic(
    bus: MessageBus, topic: str, expected: int, timeout_seconds: float = 30
) -> list[Message]:
    """Everything on ``topic`` from the start, read by a throwaway group."""
    consumer = bus.consumer([topic], group_id=f"reader-{uuid.uuid4().hex[:8]}")
    received: list[Message] = []
    try:
        deadline = time.monotonic() + timeout_seconds
        while len(received) < expected and time.monotonic() < deadline:
            received.extend(consumer.poll(0.5))
        # One more short poll shows nothing unexpected follows.
        received.extend(consumer.poll(0.5))
    finally:
        consumer.close()
    return received


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_notes_reach_kafka_keyed_with_headers_and_without_personal_data(
    notebook: Notebook,
    views: PostgresRelationalStore,
    bus: KafkaMessageBus,
    topic: str,
) -> None:
    note_ids = write_notes(notebook, 6)

    assert make_engine(notebook, views, bus, topic).catch_up() == 6

    messages = read_topic(bus, topic, 6)
    assert len(messages) == 6
    by_key = {m.key: m for m in messages}
    assert set(by_key) == set(note_ids)
    for position, note_id in enumerate(note_ids, start=1):
        message = by_key[note_id]
        assert message.headers == {
            "event-type": "notebook.NoteWritten",
            "source-application": "notebook",
            "position": str(position),
            "schema-version": "1",
            "correlation-id": "corr-9",
            "content-type": "application/json",
        }
        payload = json.loads(message.value)
        assert payload["schema_version"] == 1
        assert payload["aggregate_id"] == note_id
        assert payload["data"] == {"actor_id": "user-9"}
        wire = message.value.decode() + json.dumps(dict(message.headers))
        assert not [p for p in PERSONAL if p in wire]


def test_commands_succeed_while_kafka_is_down_and_publishing_catches_up(
    notebook: Notebook,
    views: PostgresRelationalStore,
    bus: KafkaMessageBus,
    topic: str,
) -> None:
    failures = threading.Semaphore(0)

    class Watched(SwitchablePublisher):
        def publish_many(self, messages: Sequence[Message]) -> None:
            try:
                super().publish_many(messages)
            except Exception:
                failures.release()
                raise

    dead = KafkaMessageBus(f"127.0.0.1:{closed_port()}", bootstrap_timeout_ms=300)
    publisher = Watched(dead)
    engine = make_engine(notebook, views, publisher, topic)
    notebook.on_recorded(engine.wake)
    engine.start()
    try:
        # Check commands succeed while no broker answers.
        note_ids = write_notes(notebook, 10)
        for _ in range(3):
            assert failures.acquire(timeout=30)
        [status] = engine.status()
        assert status.state == "RETRYING"
        assert status.last_error is not None
        assert "kafka" in status.last_error
        assert status.lag == 10

        publisher.target = bus  # Kafka is back
        assert engine.wait_for("notebook", 10, [PROJECTION], 30.0) == 0
    finally:
        engine.stop()
        dead.close()

    # Check every note went out, once, to the real broker.
    messages = read_topic(bus, topic, 10)
    assert sorted(m.key or "" for m in messages) == sorted(note_ids)
    assert sorted(int(m.headers["position"]) for m in messages) == list(range(1, 11))
    [status] = engine.status()
    assert (status.lag, status.last_error) == (0, None)


def test_messages_become_commands_once_and_poison_goes_to_the_dead_letter_topic(
    notebook: Notebook,
    ledgers: Ledgers,
    views: PostgresRelationalStore,
    bus: KafkaMessageBus,
    topic: str,
) -> None:
    group = f"ledger-{uuid.uuid4().hex[:8]}"

    def consumer(group_id: str) -> InboundConsumer:
        return InboundConsumer(
            "ledger_notes",
            [topic],
            ledger_handlers(ledgers),
            store=views,
            bus=bus,
            group_id=group_id,
            poll_timeout_seconds=0.2,
            retry_delay_seconds=0.01,
        )

    engine = make_engine(notebook, views, bus, topic)
    first_ids = write_notes(notebook, 5)
    engine.catch_up()

    first = consumer(group)
    first.start()
    try:
        assert first.wait_for(lambda s: s.handled == 5, 30.0)
    finally:
        first.stop()
    assert sorted(ledgers.recorded()) == sorted(first_ids)

    # Redelivery: copies of two handled messages, in reverse order; a poison
    # message; then a new note.
    handled = read_topic(bus, topic, 5)
    for copy in sorted(handled, key=lambda m: -int(m.headers["position"]))[:2]:
        bus.publish(topic, copy.key, copy.value, copy.headers)
    bus.publish(topic, "poison", b"{not json", {"event-type": "notebook.NoteWritten"})
    new_ids = write_notes(notebook, 1)
    engine.catch_up()

    second = consumer(group)
    second.start()
    try:
        assert second.wait_for(
            # (More duplicates only if the first member's last commit was lost.)
            lambda s: s.handled == 1 and s.duplicates >= 2 and s.dead_lettered == 1,
            30.0,
        )
    finally:
        second.stop()

    # Check the copies had no effect, the poison did not stop the new note.
    recorded = ledgers.recorded()
    assert len(recorded) == 6
    assert sorted(recorded) == sorted(first_ids + new_ids)
    [parked] = read_topic(bus, f"{topic}.dlq", 1)
    assert parked.key == "poison"
    assert parked.value == b"{not json"
    assert parked.headers["event-type"] == "notebook.NoteWritten"  # kept
    assert parked.headers["dlq-error"] == "UndecodableMessageError"
    assert "missing headers" in parked.headers["dlq-reason"]
    assert parked.headers["dlq-topic"] == topic

    # Replay the whole topic from offset 0 with a new consumer group.
    replay = consumer(f"{group}-replay")
    replay.start()
    try:
        assert replay.wait_for(lambda s: s.done == 9, 30.0)
    finally:
        replay.stop()
    stats = replay.stats
    assert (stats.handled, stats.duplicates, stats.dead_lettered) == (0, 8, 1)
    # Check the effect count is unchanged, and the dedupe rows are in PostgreSQL.
    assert len(ledgers.recorded()) == 6
    with views.transaction() as session:
        row = session.fetchone(
            "SELECT COUNT(*) FROM processed_messages WHERE consumer = %s",
            ("ledger_notes",),
        )
    assert row == (6,)
