"""Inbound messages become commands once, on the embedded bus and SQLite."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from adapters.embedded.bus import InMemoryMessageBus
from adapters.embedded.cache import InMemoryCache
from adapters.embedded.documents import InMemoryDocumentStore
from adapters.embedded.views import SqliteRelationalStore
from adapters.kafka.inbound import InboundConsumer
from commands.inbound import InboundHandler
from domain.base import acting_as
from ports.errors import BackendUnavailableError
from ports.messages import Message
from projections.contracts import ViewPorts
from projections.engine import ProjectionEngine
from projections.integration_events import IntegrationEvent
from tests.support.integration import (
    LedgerClosedError,
    Ledgers,
    ledger_handlers,
    notebook_events_for,
)
from tests.support.notes import Note, Notebook

TOPIC = "spotlight.notebook.notes"


@pytest.fixture
def notebook() -> Iterator[Notebook]:
    app = Notebook(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield app
    app.close()


@pytest.fixture
def ledgers() -> Iterator[Ledgers]:
    app = Ledgers(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield app
    app.close()


@pytest.fixture
def bus() -> InMemoryMessageBus:
    return InMemoryMessageBus()


@pytest.fixture
def store() -> Iterator[SqliteRelationalStore]:
    store = SqliteRelationalStore(None)
    yield store
    store.close()


def publish_notes(notebook: Notebook, bus: InMemoryMessageBus, count: int) -> list[str]:
    """Write notes and let the integration-events projection publish them."""
    ids = []
    with acting_as("user-1", "corr-1"):
        for i in range(count):
            note = Note("ada", f"n{i}")
            notebook.save(note)
            ids.append(str(note.id))
    ports = ViewPorts(InMemoryDocumentStore(), InMemoryCache(), bus)
    engine = ProjectionEngine(
        SqliteRelationalStore(None),
        {"notebook": notebook},
        [notebook_events_for(TOPIC)],
        ports,
    )
    engine.catch_up()
    return ids


def read_all(bus: InMemoryMessageBus, topic: str) -> list[Message]:
    consumer = bus.consumer([topic], group_id=uuid.uuid4().hex)
    messages: list[Message] = []
    while batch := consumer.poll(0.01):
        messages.extend(batch)
    return messages


def drain(consumer: InboundConsumer) -> None:
    while consumer.poll_once():
        pass


def make_consumer(
    store: SqliteRelationalStore,
    bus: InMemoryMessageBus,
    handlers: dict[str, InboundHandler],
    *,
    topic: str = TOPIC,
    group_id: str | None = None,
    **options: float,
) -> InboundConsumer:
    return InboundConsumer(
        "ledger_notes",
        [topic],
        handlers,
        store=store,
        bus=bus,
        group_id=group_id,
        poll_timeout_seconds=0.01,
        retry_delay_seconds=0.001,
        **options,  # type: ignore[arg-type]
    )


def test_each_message_becomes_one_command_and_the_offset_follows(
    notebook: Notebook,
    ledgers: Ledgers,
    bus: InMemoryMessageBus,
    store: SqliteRelationalStore,
) -> None:
    note_ids = publish_notes(notebook, bus, 3)
    consumer = make_consumer(store, bus, dict(ledger_handlers(ledgers)))

    drain(consumer)

    assert ledgers.recorded() == note_ids
    assert consumer.stats.handled == 3
    # Check the group committed: a new member of the same group sees nothing.
    again = make_consumer(store, bus, dict(ledger_handlers(ledgers)))
    assert again.poll_once() == 0
    with store.transaction() as session:
        rows = session.fetchall(
            "SELECT consumer, source, position, event_type FROM processed_messages "
            "ORDER BY position"
        )
    assert rows == [
        ("ledger_notes", "notebook", p, "notebook.NoteWritten") for p in (1, 2, 3)
    ]


def test_a_replay_from_the_start_by_a_new_group_has_no_second_effect(
    notebook: Notebook,
    ledgers: Ledgers,
    bus: InMemoryMessageBus,
    store: SqliteRelationalStore,
) -> None:
    note_ids = publish_notes(notebook, bus, 4)
    drain(make_consumer(store, bus, dict(ledger_handlers(ledgers))))

    replay = make_consumer(
        store, bus, dict(ledger_handlers(ledgers)), group_id="ledger_notes-replay"
    )
    drain(replay)

    # Check every message was seen again and recognised as done.
    assert replay.stats.duplicates == 4
    assert replay.stats.handled == 0
    assert ledgers.recorded() == note_ids


def test_duplicate_and_out_of_order_redelivery_has_no_second_effect(
    notebook: Notebook,
    ledgers: Ledgers,
    bus: InMemoryMessageBus,
    store: SqliteRelationalStore,
) -> None:
    note_ids = publish_notes(notebook, bus, 3)
    first, second, third = read_all(bus, TOPIC)
    # A producer retried a batch, and the copies arrived shuffled.
    shuffled = "spotlight.notebook.notes.shuffled"
    for m in (third, first, third, second, first, second):
        bus.publish(shuffled, m.key, m.value, m.headers)
    consumer = make_consumer(store, bus, dict(ledger_handlers(ledgers)), topic=shuffled)

    drain(consumer)

    # Check each note was recorded once, in the order it first arrived.
    assert ledgers.recorded() == [note_ids[2], note_ids[0], note_ids[1]]
    assert consumer.stats.handled == 3
    assert consumer.stats.duplicates == 3


def test_a_poison_message_is_parked_with_its_reason_and_the_consumer_goes_on(
    notebook: Notebook,
    ledgers: Ledgers,
    bus: InMemoryMessageBus,
    store: SqliteRelationalStore,
) -> None:
    bus.publish(TOPIC, "k-1", b"\x00 not json", {"trace": "abc"})
    note_ids = publish_notes(notebook, bus, 2)
    consumer = make_consumer(store, bus, dict(ledger_handlers(ledgers)))

    drain(consumer)

    # Check the good messages were handled after the bad one.
    assert ledgers.recorded() == note_ids
    [parked] = read_all(bus, TOPIC + ".dlq")
    assert parked.key == "k-1"
    assert parked.value == b"\x00 not json"
    assert parked.headers["trace"] == "abc"  # the original headers are kept
    assert parked.headers["dlq-error"] == "UndecodableMessageError"
    assert "missing headers" in parked.headers["dlq-reason"]
    assert parked.headers["dlq-topic"] == TOPIC
    assert parked.headers["dlq-offset"] == "0"
    assert parked.headers["dlq-consumer"] == "ledger_notes"
    assert consumer.stats.dead_lettered == 1


def test_a_refused_command_is_parked_at_once_with_the_domain_reason(
    notebook: Notebook, bus: InMemoryMessageBus, store: SqliteRelationalStore
) -> None:
    publish_notes(notebook, bus, 2)
    calls: list[int] = []

    def refuse(message: IntegrationEvent) -> None:
        calls.append(message.position)
        if message.position == 1:
            raise LedgerClosedError("the ledger is closed to notebook 1")

    consumer = make_consumer(store, bus, {"notebook.NoteWritten": refuse})

    drain(consumer)

    assert calls == [1, 2]  # no retry for a domain refusal
    [parked] = read_all(bus, TOPIC + ".dlq")
    assert parked.headers["dlq-reason"] == (
        "LedgerClosedError: the ledger is closed to notebook 1"
    )
    assert parked.headers["dlq-attempts"] == "1"
    assert parked.headers["position"] == "1"
    # Check the parked message is not marked processed: a re-drive will handle it.
    with store.transaction() as session:
        done = session.fetchall("SELECT position FROM processed_messages")
    assert done == [(2,)]


def test_a_failing_handler_is_retried_then_parked(
    notebook: Notebook, bus: InMemoryMessageBus, store: SqliteRelationalStore
) -> None:
    publish_notes(notebook, bus, 1)
    calls = 0

    def buggy(message: IntegrationEvent) -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("a bug")

    consumer = make_consumer(
        store, bus, {"notebook.NoteWritten": buggy}, max_attempts=3
    )

    drain(consumer)

    assert calls == 3
    [parked] = read_all(bus, TOPIC + ".dlq")
    assert parked.headers["dlq-attempts"] == "3"
    assert parked.headers["dlq-reason"] == "RuntimeError: a bug"
    assert consumer.stats.retries == 2


def test_an_outage_is_waited_out_and_never_parked(
    notebook: Notebook,
    ledgers: Ledgers,
    bus: InMemoryMessageBus,
    store: SqliteRelationalStore,
) -> None:
    note_ids = publish_notes(notebook, bus, 1)
    record = ledger_handlers(ledgers)["notebook.NoteWritten"]
    outage = 10  # more than max_attempts

    def event_store_down_for_a_while(message: IntegrationEvent) -> object:
        nonlocal outage
        if outage:
            outage -= 1
            raise BackendUnavailableError("postgres: connection refused")
        return record(message)

    consumer = make_consumer(
        store,
        bus,
        {"notebook.NoteWritten": event_store_down_for_a_while},
        max_attempts=3,
        max_retry_delay_seconds=0.01,
    )

    drain(consumer)

    assert ledgers.recorded() == note_ids
    assert read_all(bus, TOPIC + ".dlq") == []


def test_offsets_are_committed_only_after_the_effect(
    notebook: Notebook,
    ledgers: Ledgers,
    bus: InMemoryMessageBus,
    store: SqliteRelationalStore,
) -> None:
    note_ids = publish_notes(notebook, bus, 2)
    failing_once = True
    record = ledger_handlers(ledgers)["notebook.NoteWritten"]

    def store_down(message: IntegrationEvent) -> object:
        if failing_once:
            raise BackendUnavailableError("postgres: down")
        return record(message)

    stuck = make_consumer(store, bus, {"notebook.NoteWritten": store_down})
    stuck.start()
    # Check the consumer keeps waiting out the outage...
    assert stuck.wait_for(lambda s: s.last_error is not None, 5.0)
    stuck.stop()  # ...and is stopped (a deploy) before the effect happened.
    assert ledgers.recorded() == []

    failing_once = False
    resumed = make_consumer(store, bus, dict(ledger_handlers(ledgers)))
    drain(resumed)

    # Check the same group got the uncommitted messages again and did them once.
    assert ledgers.recorded() == note_ids


def test_the_run_loop_handles_messages_in_a_thread_until_stopped(
    notebook: Notebook,
    ledgers: Ledgers,
    bus: InMemoryMessageBus,
    store: SqliteRelationalStore,
) -> None:
    consumer = make_consumer(store, bus, dict(ledger_handlers(ledgers)))
    consumer.start()
    try:
        note_ids = publish_notes(notebook, bus, 5)
        assert consumer.wait_for(lambda s: s.handled == 5, 5.0)
    finally:
        consumer.stop()
    assert ledgers.recorded() == note_ids
    # Check messages of types nobody here handles are skipped, not parked.
    bus.publish(
        TOPIC,
        "k",
        json.dumps(
            {"schema_version": 1, "aggregate_id": str(uuid.uuid4()), "data": {}}
        ).encode(),
        {
            "event-type": "notebook.NoteEdited",
            "source-application": "notebook",
            "position": "99",
            "schema-version": "1",
        },
    )
    again = make_consumer(store, bus, dict(ledger_handlers(ledgers)))
    drain(again)
    assert again.stats.ignored == 1
    assert again.stats.dead_lettered == 0


def test_a_raw_driver_outage_is_waited_out_like_any_other(
    notebook: Notebook,
    ledgers: Ledgers,
    bus: InMemoryMessageBus,
    store: SqliteRelationalStore,
) -> None:
    note_ids = publish_notes(notebook, bus, 1)
    record = ledger_handlers(ledgers)["notebook.NoteWritten"]
    outage = 20  # far more than max_attempts

    def dead_pooled_connection(message: IntegrationEvent) -> object:
        nonlocal outage
        if outage:
            outage -= 1
            raise psycopg.OperationalError("server closed the connection")
        return record(message)

    consumer = make_consumer(
        store,
        bus,
        {"notebook.NoteWritten": dead_pooled_connection},
        max_attempts=3,
        max_retry_delay_seconds=0.005,
    )

    drain(consumer)

    assert ledgers.recorded() == note_ids
    assert consumer.stats.dead_lettered == 0
    assert consumer.stats.retries == 0  # waits are not attempts


def test_the_loop_starts_over_when_anything_escapes_it(
    notebook: Notebook,
    ledgers: Ledgers,
    bus: InMemoryMessageBus,
    store: SqliteRelationalStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    consumer = make_consumer(
        store, bus, dict(ledger_handlers(ledgers)), max_retry_delay_seconds=0.01
    )
    loop = consumer._poll_until_stopped
    escapes = {"left": 1}

    def breaks_once() -> None:
        if escapes["left"]:
            escapes["left"] -= 1
            raise RuntimeError("a bug in the loop\nDETAIL: Key (email)=(ada@x)")
        loop()

    consumer._poll_until_stopped = breaks_once  # type: ignore[method-assign]
    assert consumer.stats.running is False
    consumer.start()
    try:
        note_ids = publish_notes(notebook, bus, 2)
        assert consumer.wait_for(lambda s: s.handled == 2, 5.0)
        stats = consumer.stats
        assert stats.running is True
        assert stats.restarts == 1
    finally:
        consumer.stop()
    assert consumer.stats.running is False
    assert ledgers.recorded() == note_ids
    [crash] = [r for r in caplog.records if "crashed" in r.getMessage()]
    assert crash.levelname == "ERROR"
    assert crash.exc_info is None  # one line, no traceback
    assert "RuntimeError: a bug in the loop" in crash.getMessage()
    assert "ada@x" not in crash.getMessage()


def test_progress_stands_still_while_an_outage_is_waited_out(
    notebook: Notebook,
    ledgers: Ledgers,
    bus: InMemoryMessageBus,
    store: SqliteRelationalStore,
) -> None:
    publish_notes(notebook, bus, 2)
    record = ledger_handlers(ledgers)["notebook.NoteWritten"]
    down = threading.Event()
    down.set()
    tries = {"second": 0}

    def second_waits_for_its_backend(message: IntegrationEvent) -> object:
        if message.position == 2 and down.is_set():
            tries["second"] += 1
            raise BackendUnavailableError("postgres: connection refused")
        return record(message)

    consumer = make_consumer(
        store,
        bus,
        {"notebook.NoteWritten": second_waits_for_its_backend},
        max_retry_delay_seconds=0.005,
    )
    assert consumer.stats.last_progress_at is None
    consumer.start()
    try:
        assert consumer.wait_for(lambda s: s.handled == 1, 5.0)
        first_done = consumer.stats.last_progress_at
        assert first_done is not None
        deadline = time.monotonic() + 5
        while tries["second"] < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        # Check a consumer stuck on an outage shows no progress (a stall)...
        assert tries["second"] >= 5
        assert consumer.stats.last_progress_at == first_done
        down.clear()
        # ...and moves again once the backend is back.
        assert consumer.wait_for(lambda s: s.handled == 2, 5.0)
        last = consumer.stats.last_progress_at
        assert last is not None
        assert last >= first_done
    finally:
        consumer.stop()
