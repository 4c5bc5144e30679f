"""A consumer group hands its partitions over quickly on real Kafka.

A member that stops leaves the group (LeaveGroup on close), so the next member takes
over at once; a member killed without a word is dropped when its session times out
(``adapters.kafka.bus.SESSION_TIMEOUT_MS``). Each test has its own topic and group.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.kafka.bus import KafkaMessageBus
from ports.messages import MessageConsumer

ROOT = Path(__file__).resolve().parents[2]

# A member in a process of its own: it reads and commits until it is killed, and
# says "ready" once it holds the group's partitions and has read the first message.
MEMBER = textwrap.dedent(
    """
    import sys
    from adapters.kafka.bus import KafkaMessageBus

    bootstrap, topic, group = sys.argv[1:4]
    consumer = KafkaMessageBus(bootstrap).consumer([topic], group)
    said = False
    while True:
        if consumer.poll(0.2):
            consumer.commit()
            if not said:
                print("ready", flush=True)
                said = True
    """
)


@pytest.fixture
def bus(kafka_bootstrap: str) -> Iterator[KafkaMessageBus]:
    made = KafkaMessageBus(kafka_bootstrap)
    yield made
    made.close()


@pytest.fixture
def names() -> tuple[str, str]:
    suffix = uuid.uuid4().hex[:10]
    return f"handover-{suffix}", f"handover-group-{suffix}"


def wait_for_value(
    consumer: MessageConsumer, value: bytes, timeout_seconds: float
) -> float:
    """Poll until ``value`` arrives; returns when (monotonic), fails after timeout."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        messages = consumer.poll(0.1)
        if any(m.value == value for m in messages):
            consumer.commit()
            return time.monotonic()
    pytest.fail(f"{value!r} did not arrive within {timeout_seconds} s")


def test_a_member_that_stops_is_replaced_at_once(
    bus: KafkaMessageBus, names: tuple[str, str]
) -> None:
    topic, group = names
    bus.publish(topic, "k", b"before")
    first = bus.consumer([topic], group)
    try:
        wait_for_value(first, b"before", 20)
    finally:
        first.close()  # leaves the group
    # Check the next member reads what comes after the first one stopped, at once.
    stopped = time.monotonic()
    second = bus.consumer([topic], group)
    try:
        bus.publish(topic, "k", b"after")
        arrived = wait_for_value(second, b"after", 10)
    finally:
        second.close()
    assert arrived - stopped < 3


def test_a_member_killed_without_a_word_is_replaced_within_ten_seconds(
    bus: KafkaMessageBus, kafka_bootstrap: str, names: tuple[str, str]
) -> None:
    topic, group = names
    bus.publish(topic, "k", b"before")
    member = subprocess.Popen(  # noqa: S603 - this interpreter, our own script
        [sys.executable, "-c", MEMBER, kafka_bootstrap, topic, group],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert member.stdout is not None
        assert member.stdout.readline().strip() == "ready"
        # Check a member that dies holding the partitions (no LeaveGroup) ...
        member.send_signal(signal.SIGKILL)
        member.wait(10)
        killed = time.monotonic()
        # ... is replaced: a new member reads what comes next within 10 s.
        replacement = bus.consumer([topic], group)
        try:
            bus.publish(topic, "k", b"after")
            arrived = wait_for_value(replacement, b"after", 20)
        finally:
            replacement.close()
    finally:
        if member.poll() is None:
            member.kill()
            member.wait(10)
    assert arrived - killed < 10
