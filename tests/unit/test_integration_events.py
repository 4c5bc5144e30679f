"""Integration events go out from a projection, keyed, with headers and ids only."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator, Mapping
from typing import ClassVar

import pytest
from eventsourcing.domain import event

from adapters.embedded.bus import InMemoryMessageBus
from adapters.embedded.cache import InMemoryCache
from adapters.embedded.documents import InMemoryDocumentStore
from adapters.embedded.views import SqliteRelationalStore
from domain.base import SpotlightAggregate, acting_as
from ports.errors import BackendUnavailableError
from ports.messages import Message
from projections.contracts import ViewPorts
from projections.engine import ProjectionEngine
from projections.integration_events import (
    IntegrationEventConfigError,
    IntegrationEventsProjection,
    Outbound,
    PersonalDataError,
    UndecodableMessageError,
    decode_message,
    json_value,
)
from tests.support.integration import SwitchablePublisher, notebook_events_for
from tests.support.notes import Note, Notebook

TOPIC = "spotlight.notebook.notes"
PROJECTION = "notebook_integration_events"


@pytest.fixture
def notebook() -> Iterator[Notebook]:
    app = Notebook(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield app
    app.close()


@pytest.fixture
def bus() -> InMemoryMessageBus:
    return InMemoryMessageBus()


def make_engine(
    notebook: Notebook, publisher: object, **options: float
) -> ProjectionEngine:
    ports = ViewPorts(InMemoryDocumentStore(), InMemoryCache(), publisher)  # type: ignore[arg-type]
    return ProjectionEngine(
        SqliteRelationalStore(None),
        {"notebook": notebook},
        [notebook_events_for(TOPIC)],
        ports,
        batch_size=5,
        **options,  # type: ignore[arg-type]
    )


def read_all(bus: InMemoryMessageBus, topic: str = TOPIC) -> list[Message]:
    consumer = bus.consumer([topic], group_id=uuid.uuid4().hex)
    messages: list[Message] = []
    while batch := consumer.poll(0.01):
        messages.extend(batch)
    return messages


def test_notes_go_out_keyed_by_note_with_headers_and_no_personal_data(
    notebook: Notebook, bus: InMemoryMessageBus
) -> None:
    with acting_as("user-7", "corr-42"):
        note = Note("Ada Lovelace", "my private diary")
        note.edit("still private")
        notebook.save(note)
    engine = make_engine(notebook, bus)

    assert engine.catch_up() == 2

    written, edited = read_all(bus)
    # Check the key is the aggregate id, so one note's events keep their order.
    assert written.key == edited.key == str(note.id)
    # Check the headers name the type, the source, the position and the schema.
    assert written.headers == {
        "event-type": "notebook.NoteWritten",
        "source-application": "notebook",
        "position": "1",
        "schema-version": "1",
        "correlation-id": "corr-42",
        "content-type": "application/json",
    }
    assert edited.headers["event-type"] == "notebook.NoteEdited"
    assert edited.headers["position"] == "2"
    # Check the payload carries the schema version and the allow-listed ids only.
    payload = json.loads(written.value)
    assert payload["schema_version"] == 1
    assert payload["aggregate_id"] == str(note.id)
    assert payload["aggregate_version"] == 1
    assert payload["position"] == 1
    assert payload["data"] == {"actor_id": "user-7"}
    assert set(payload) == {
        "schema_version",
        "event_type",
        "source",
        "position",
        "aggregate_id",
        "aggregate_version",
        "occurred_at",
        "correlation_id",
        "data",
    }
    assert json.loads(edited.value)["data"] == {}
    # Check no personal field or value went out, in any message.
    for message in (written, edited):
        text = message.value.decode() + json.dumps(dict(message.headers))
        for personal in ("author", "Ada", "Lovelace", "text", "diary", "private"):
            assert personal not in text


def test_commands_succeed_while_the_broker_is_down_and_publishing_catches_up(
    notebook: Notebook, bus: InMemoryMessageBus
) -> None:
    attempts_while_down = threading.Semaphore(0)

    class DownBroker:
        def ping(self) -> None:
            raise BackendUnavailableError("kafka: down")

        def publish(
            self,
            topic: str,
            key: str | None,
            value: bytes,
            headers: Mapping[str, str] | None = None,
        ) -> None:
            attempts_while_down.release()
            raise BackendUnavailableError("kafka: Unable to bootstrap")

        def close(self) -> None:
            return None

    publisher = SwitchablePublisher(DownBroker())
    engine = make_engine(notebook, publisher, retry_delay_seconds=0.01)
    engine.max_attempts = 2  # irrelevant: an outbound projection retries for ever
    notebook.on_recorded(engine.wake)
    engine.start()
    try:
        # Check every command succeeds although nothing can be published.
        results = [notebook.save_changes(Note("ada", f"n{i}")) for i in range(12)]
        assert all(r.position for r in results)
        for _ in range(4):  # more attempts than max_attempts
            assert attempts_while_down.acquire(timeout=5)
        [status] = engine.status()
        assert status.state == "RETRYING"
        assert status.last_error is not None
        assert "Unable to bootstrap" in status.last_error
        assert status.lag == 12
        assert read_all(bus) == []

        publisher.target = bus  # the broker is back
        last = results[-1].position
        assert last is not None
        assert engine.wait_for("notebook", last, [PROJECTION], 10.0) == 0
    finally:
        engine.stop()

    # Check every note went out once, in order, and the projection is healthy.
    messages = read_all(bus)
    assert [m.headers["position"] for m in messages] == [str(p) for p in range(1, 13)]
    [status] = engine.status()
    assert status.lag == 0
    assert status.last_error is None


def test_a_batch_is_published_again_after_a_failure_and_the_position_waits(
    notebook: Notebook, bus: InMemoryMessageBus
) -> None:
    class FailsAfterHalf:
        """Sends part of a batch, then the broker drops (a partial failure)."""

        def __init__(self) -> None:
            self.sent = 0

        def ping(self) -> None:
            return None

        def publish(
            self,
            topic: str,
            key: str | None,
            value: bytes,
            headers: Mapping[str, str] | None = None,
        ) -> None:
            if self.sent == 3:
                self.sent += 1
                raise BackendUnavailableError("kafka: connection lost")
            self.sent += 1
            bus.publish(topic, key, value, headers)

        def close(self) -> None:
            return None

    for i in range(5):
        notebook.save(Note("ada", f"n{i}"))
    engine = make_engine(notebook, FailsAfterHalf())

    with pytest.raises(BackendUnavailableError):
        engine.catch_up()
    # Check the position did not move: the batch is not acknowledged.
    assert engine.status()[0].sources[0].position == 0

    engine.catch_up()

    # Check at least once: the first three went out twice, every one at least once.
    positions = [int(m.headers["position"]) for m in read_all(bus)]
    assert positions == [1, 2, 3, 1, 2, 3, 4, 5]
    assert engine.status()[0].lag == 0


# --- Declarations are checked when the class is defined ---------------------------


class Profile(SpotlightAggregate):
    """An aggregate whose event declares personal fields (domain.personal_data)."""

    @event("Registered")
    def __init__(self, npo_id: uuid.UUID, email: str, city: str) -> None:
        self.npo_id = npo_id
        self.email = email
        self.city = city

    class Moved(SpotlightAggregate.Event):
        personal_fields: ClassVar[frozenset[str]] = frozenset({"city"})
        city: str


def test_a_personal_looking_field_is_refused() -> None:
    with pytest.raises(PersonalDataError, match="email"):

        class Leaky(IntegrationEventsProjection):
            name = "leaky"
            sources = ("profiles",)
            outbound = (
                Outbound(
                    "Profile.Registered",
                    topic="t",
                    event_type="profiles.Registered",
                    fields=("npo_id", "email"),
                ),
            )


def test_a_field_the_event_declares_personal_is_refused() -> None:
    with pytest.raises(PersonalDataError, match="city"):

        class Leaky(IntegrationEventsProjection):
            name = "leaky"
            sources = ("profiles",)
            outbound = (
                Outbound(
                    Profile.Moved, topic="t", event_type="p.Moved", fields=("city",)
                ),
            )


def test_one_event_may_go_to_two_topics_but_not_twice_as_one_type() -> None:
    class FanOut(IntegrationEventsProjection):
        name = "fan_out"
        sources = ("notebook",)
        outbound = (
            Outbound("Note.Written", topic="a", event_type="notebook.NoteWritten"),
            Outbound("Note.Written", topic="b", event_type="notebook.NoteArchived"),
        )

    assert len(FanOut._routes["Note.Written"]) == 2
    with pytest.raises(IntegrationEventConfigError, match="twice"):

        class Twice(IntegrationEventsProjection):
            name = "twice"
            sources = ("notebook",)
            outbound = (
                Outbound("Note.Written", topic="a", event_type="notebook.NoteWritten"),
                Outbound("Note.Written", topic="b", event_type="notebook.NoteWritten"),
            )


def test_a_value_object_is_not_published(
    notebook: Notebook, bus: InMemoryMessageBus
) -> None:
    class Structured(IntegrationEventsProjection):
        name = "structured"
        sources = ("notebook",)
        outbound = (
            Outbound(
                "Note.Written",
                topic=TOPIC,
                event_type="notebook.NoteWritten",
                fields=("timestamp",),  # fine: a datetime
            ),
        )

    notebook.save(Note("ada", "x"))
    ports = ViewPorts(InMemoryDocumentStore(), InMemoryCache(), bus)
    engine = ProjectionEngine(
        SqliteRelationalStore(None), {"notebook": notebook}, [Structured], ports
    )
    engine.catch_up()
    [message] = read_all(bus)
    assert "timestamp" in json.loads(message.value)["data"]

    with pytest.raises(IntegrationEventConfigError):
        json_value({"street": "1 Main St"})
    assert json_value([uuid.UUID(int=1)]) == [str(uuid.UUID(int=1))]


# --- The wire format read back -----------------------------------------------------


def test_decode_reads_back_what_the_projection_sent(
    notebook: Notebook, bus: InMemoryMessageBus
) -> None:
    with acting_as("user-1", "corr-1"):
        note = Note("ada", "x")
    notebook.save(note)
    make_engine(notebook, bus).catch_up()
    [message] = read_all(bus)

    decoded = decode_message(message)

    assert decoded.event_type == "notebook.NoteWritten"
    assert (decoded.source, decoded.position, decoded.schema_version) == (
        "notebook",
        1,
        1,
    )
    assert decoded.aggregate_id == note.id
    assert decoded.correlation_id == "corr-1"
    assert decoded.data == {"actor_id": "user-1"}
    assert decoded.derived_id("ledger") == decoded.derived_id("ledger")
    assert decoded.derived_id("ledger") != decoded.derived_id("other")


@pytest.mark.parametrize(
    ("headers", "value", "reason"),
    [
        ({}, b"{}", "missing headers"),
        (
            {
                "event-type": "t",
                "source-application": "s",
                "position": "x",
                "schema-version": "1",
            },
            b"{}",
            "bad position",
        ),
        (
            {
                "event-type": "t",
                "source-application": "s",
                "position": "1",
                "schema-version": "1",
            },
            b"\xff not json",
            "not JSON",
        ),
        (
            {
                "event-type": "t",
                "source-application": "s",
                "position": "1",
                "schema-version": "2",
            },
            b'{"schema_version": 1, '
            b'"aggregate_id": "00000000-0000-0000-0000-000000000001"}',
            "disagrees",
        ),
    ],
)
def test_malformed_messages_are_undecodable(
    headers: dict[str, str], value: bytes, reason: str
) -> None:
    with pytest.raises(UndecodableMessageError, match=reason):
        decode_message(Message("t", None, value, headers))
