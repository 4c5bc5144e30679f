"""Inbound consumers run as threads of the API process or as a worker process."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator

import pytest

from adapters.embedded.bus import InMemoryMessageBus
from adapters.embedded.views import SqliteRelationalStore
from adapters.kafka.inbound import InboundConsumer
from adapters.kafka.workers import InboundWorkers
from projections.integration_events import IntegrationEvent

TOPIC = "spotlight.samples"


def sample(position: int) -> tuple[bytes, dict[str, str]]:
    value = (
        b'{"schema_version": 1, "aggregate_id": '
        b'"00000000-0000-0000-0000-000000000001", "data": {}}'
    )
    headers = {
        "event-type": "samples.Happened",
        "source-application": "samples",
        "position": str(position),
        "schema-version": "1",
    }
    return value, headers


@pytest.fixture
def store() -> Iterator[SqliteRelationalStore]:
    store = SqliteRelationalStore(None)
    yield store
    store.close()


def consumers(
    store: SqliteRelationalStore, bus: InMemoryMessageBus, seen: list[int]
) -> list[InboundConsumer]:
    def handle(message: IntegrationEvent) -> None:
        seen.append(message.position)

    return [
        InboundConsumer(
            name,
            [TOPIC],
            {"samples.Happened": handle},
            store=store,
            bus=bus,
            poll_timeout_seconds=0.05,
        )
        for name in ("first_purpose", "second_purpose")
    ]


def test_workers_start_and_stop_together(store: SqliteRelationalStore) -> None:
    bus = InMemoryMessageBus()
    seen: list[int] = []
    workers = InboundWorkers(consumers(store, bus, seen))
    workers.start()
    try:
        for position in (1, 2):
            bus.publish(TOPIC, "k", *sample(position))
        for consumer in workers.consumers:
            assert consumer.wait_for(lambda s: s.handled == 2, 5.0)
    finally:
        workers.stop()
    # Check each consumer (purpose) handled each message once.
    assert sorted(seen) == [1, 1, 2, 2]
    assert {n: s.handled for n, s in workers.stats().items()} == {
        "first_purpose": 2,
        "second_purpose": 2,
    }


def test_a_worker_process_runs_until_sigterm(store: SqliteRelationalStore) -> None:
    bus = InMemoryMessageBus()
    seen: list[int] = []
    workers = InboundWorkers(consumers(store, bus, seen))
    bus.publish(TOPIC, "k", *sample(1))

    def terminate_when_done() -> None:
        for consumer in workers.consumers:
            consumer.wait_for(lambda s: s.handled == 1, 5.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=terminate_when_done, daemon=True).start()
    previous = signal.getsignal(signal.SIGTERM)

    workers.run_forever()

    assert seen == [1, 1]
    assert signal.getsignal(signal.SIGTERM) == previous
    assert all(not c.stats.last_error for c in workers.consumers)


def test_names_must_be_unique(store: SqliteRelationalStore) -> None:
    bus = InMemoryMessageBus()
    one, _ = consumers(store, bus, [])
    with pytest.raises(ValueError, match="unique"):
        InboundWorkers([one, one])
