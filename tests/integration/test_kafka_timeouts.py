"""The Kafka bus gives up on time when the broker is gone or silent.

kafka-python's own clients first bootstrap on a clock of their own (30 s by
default); readiness and ``projections status`` must not wait that long.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from adapters.kafka.bus import ADMIN_TIMEOUT_MS, KafkaMessageBus
from ports.errors import BackendUnavailableError


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel does) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


def test_ping_answers_when_kafka_is_up(kafka_bootstrap: str) -> None:
    KafkaMessageBus(kafka_bootstrap, ping_timeout_seconds=0.5).ping()


def test_ping_fails_at_once_on_a_closed_port() -> None:
    bus = KafkaMessageBus(f"127.0.0.1:{closed_port()}", ping_timeout_seconds=0.5)
    started = time.monotonic()
    with pytest.raises(BackendUnavailableError) as raised:
        bus.ping()
    assert raised.value.backend == "kafka"
    assert time.monotonic() - started < 0.5


def test_ping_gives_up_on_time_on_a_port_that_never_answers(silent_port: int) -> None:
    bus = KafkaMessageBus(f"127.0.0.1:{silent_port}", ping_timeout_seconds=0.5)
    started = time.monotonic()
    with pytest.raises(BackendUnavailableError):
        bus.ping()
    assert 0.4 < time.monotonic() - started < 1.0


def test_ping_tries_the_next_bootstrap_server(kafka_bootstrap: str) -> None:
    bus = KafkaMessageBus(
        f"127.0.0.1:{closed_port()},{kafka_bootstrap}", ping_timeout_seconds=0.5
    )
    bus.ping()


@pytest.mark.parametrize("gone", ["closed", "silent"])
def test_consumer_lag_gives_up_on_time(gone: str, silent_port: int) -> None:
    port = closed_port() if gone == "closed" else silent_port
    bus = KafkaMessageBus(f"127.0.0.1:{port}")
    started = time.monotonic()
    with pytest.raises(BackendUnavailableError):
        bus.consumer_lag("a-group", ["a-topic"])
    assert time.monotonic() - started < ADMIN_TIMEOUT_MS / 1000 + 1
