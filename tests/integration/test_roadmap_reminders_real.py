"""Roadmap reminders on real PostgreSQL and Kafka, sent by two worker processes
(``spotlight projections run``), one of them killed (SIGKILL) in the middle: every
reminder is recorded once and leaves once as a dispatch request on Kafka.

Roadmaps are made in this process through the careers dispatcher; the workers run
the projections (the timers view, the notifications, the scheduling process manager
and its integration events) and the timer worker, with a clock three years ahead
(``SPOTLIGHT_REMINDERS_CLOCK_OFFSET_SECONDS``) so every timer is due.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.bootstrap import Container, build_container
from adapters.kafka.bus import KafkaMessageBus
from adapters.settings import Settings
from commands.careers.application import CareersApplication
from commands.careers.messages import SetCareersPolicy
from commands.scheduling.application import SchedulingApplication
from domain.careers.roadmap import Roadmap, timer_key
from domain.careers.roadmap_items import ItemSpec
from projections.careers.timers import DueTimers
from projections.scheduling.integration_events import NOTIFICATION_REQUESTS_TOPIC
from tests.support.mentoring import Careers, admin
from tests.support.roadmap import MentoredCandidate, goal

pytestmark = pytest.mark.real_services

CANDIDATES = 12
OFFSET_SECONDS = 3 * 365 * 24 * 3600
SPOTLIGHT = Path(sys.executable).with_name("spotlight")


@pytest.fixture
def settings(
    postgres_url: str, postgres_schema: str, kafka_bootstrap: str, tmp_path: Path
) -> Settings:
    return Settings(
        data_dir=tmp_path,
        postgres_url=postgres_url,
        postgres_schema=postgres_schema,
        kafka_bootstrap=kafka_bootstrap,
        reminders_enabled=False,  # only the worker processes send reminders
    )


@pytest.fixture
def container(settings: Settings) -> Iterator[Container]:
    built = build_container(settings)
    yield built
    built.close()


def worker_process(settings: Settings) -> subprocess.Popen[bytes]:
    """``spotlight projections run`` over the same stores, its clock shifted."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPOTLIGHT_")}
    env.update(
        {
            "SPOTLIGHT_DATA_DIR": str(settings.data_dir),
            "SPOTLIGHT_POSTGRES_URL": str(settings.postgres_url),
            "SPOTLIGHT_POSTGRES_SCHEMA": str(settings.postgres_schema),
            "SPOTLIGHT_KAFKA_BOOTSTRAP": str(settings.kafka_bootstrap),
            "SPOTLIGHT_REMINDERS_CLOCK_OFFSET_SECONDS": str(OFFSET_SECONDS),
            "SPOTLIGHT_REMINDERS_POLL_SECONDS": "0.05",
            "SPOTLIGHT_REMINDERS_BATCH_SIZE": "3",
            "SPOTLIGHT_PROJECTION_IDLE_WAIT_SECONDS": "0.1",
        }
    )
    return subprocess.Popen(  # noqa: S603 - our own entry point
        [str(SPOTLIGHT), "projections", "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_until(what: str, done: Callable[[], bool], timeout_seconds: float) -> None:
    deadline = time.monotonic() + timeout_seconds
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout_seconds} s")
        time.sleep(0.05)


def reminders_recorded(careers: CareersApplication) -> list[str]:
    """Every ``Roadmap.ReminderSent`` in the careers log, as (candidate, timer) keys."""
    found = []
    for n in careers.recorder.select_notifications(start=None, limit=1_000_000):
        if n.topic.endswith("Roadmap.ReminderSent"):
            event: Any = careers.mapper.to_domain_event(n)
            key = timer_key(
                event.kind, event.subject, datetime.fromisoformat(event.due_at)
            )
            found.append(f"{event.candidate_id}|{key}")
    return found


def reminder_dispatches(scheduling: SchedulingApplication) -> list[str]:
    """The ids of the dispatch requests of roadmap reminders."""
    found = []
    for n in scheduling.recorder.select_notifications(start=None, limit=1_000_000):
        if n.topic.endswith("Dispatch.Requested"):
            event: Any = scheduling.mapper.to_domain_event(n)
            if str(event.kind).startswith("roadmap_"):
                found.append(str(n.originator_id))
    return found


def make_roadmaps(careers: Careers) -> set[str]:
    """Candidates of one mentor, each with two approved items (a deadline, modules
    with due dates) and one awaiting approval; answers every timer key."""
    careers.send(SetCareersPolicy(actor=admin(), mentee_cap=CANDIDATES))
    first = MentoredCandidate(careers)
    people = [first] + [
        MentoredCandidate(careers, first.mentor_id) for _ in range(CANDIDATES - 1)
    ]
    expected: set[str] = set()
    for person in people:
        assert careers.get_candidate(person.candidate_id).mentor_id == first.mentor_id
        sql = ItemSpec.goal(
            "Learn SQL",
            None,
            [
                {"title": "Basics", "due": "2027-03-01"},
                {"title": "Joins", "due": "2027-04-01"},
            ],
            "2027-06-01",
        )
        person.approve(person.request(sql))
        person.approve(person.request(goal(deadline="2027-09-01")))
        person.request(goal())
        roadmap = person.roadmap()
        expected |= {f"{person.candidate_id}|{t.key}" for t in roadmap.due_timers()}
    return expected


def test_two_workers_and_a_kill_send_every_reminder_once(
    settings: Settings, container: Container, kafka_bootstrap: str
) -> None:
    careers = Careers(container.application(CareersApplication))
    scheduling = container.application(SchedulingApplication)
    expected = make_roadmaps(careers)
    # Per candidate: 6 reminders of the first item (its deadline and two modules,
    # 7 days and 1 day before), 2 of the second, the nudge, the mentor's alert.
    assert len(expected) == CANDIDATES * 10

    workers = [worker_process(settings), worker_process(settings)]
    try:
        # Check a worker killed in the middle of the work...
        wait_until(
            "a fifth of the reminders sent",
            lambda: len(reminders_recorded(careers.app)) >= len(expected) // 5,
            120,
        )
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(10)
        killed_at = len(reminders_recorded(careers.app))
        assert killed_at < len(expected), "the kill came after the work was done"

        # ... leaves the rest to the other: every timer sent and gone from the view.
        wait_until(
            "every reminder sent",
            lambda: len(reminders_recorded(careers.app)) >= len(expected),
            120,
        )

        def view_is_empty() -> bool:
            with container.views.transaction() as session:
                return DueTimers.all(session) == []

        wait_until("the timers view emptied", view_is_empty, 60)
        wait_until(
            "every reminder dispatched",
            lambda: len(reminder_dispatches(scheduling)) >= len(expected),
            60,
        )
        dispatch_ids = reminder_dispatches(scheduling)
        messages = kafka_messages(kafka_bootstrap, set(dispatch_ids), 60)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(20)

    # Check each reminder was recorded exactly once, and nothing else was.
    recorded = reminders_recorded(careers.app)
    assert sorted(recorded) == sorted(expected)
    for candidate in {key.split("|")[0] for key in expected}:
        found: Roadmap = careers.app.repository.get(Roadmap.id_for(candidate))
        assert found.due_timers() == []
    # Check each became one dispatch request, and one Kafka message per key once
    # consumers dedupe on (source, position) as they do.
    assert len(dispatch_ids) == len(set(dispatch_ids)) == len(expected)
    assert set(messages) == set(dispatch_ids)
    assert all(len(positions) == 1 for positions in messages.values()), messages


def kafka_messages(
    bootstrap: str, keys: set[str], timeout_seconds: float
) -> dict[str, set[tuple[str, int]]]:
    """The (source, position) pairs of the notification requests under ``keys``,
    read from the start of the topic until every key was seen."""
    bus = KafkaMessageBus(bootstrap)
    consumer = bus.consumer(
        [NOTIFICATION_REQUESTS_TOPIC], f"reminders-{uuid.uuid4().hex[:10]}"
    )
    seen: dict[str, set[tuple[str, int]]] = defaultdict(set)
    raw: Counter[str] = Counter()
    try:
        deadline = time.monotonic() + timeout_seconds
        while set(seen) != keys and time.monotonic() < deadline:
            for message in consumer.poll(0.5):
                if message.key in keys:
                    body = json.loads(message.value)
                    assert body["data"]["kind"].startswith("roadmap_")
                    seen[message.key].add((body["source"], body["position"]))
                    raw[message.key] += 1
        # Read a little longer: a duplicate would arrive now.
        for message in consumer.poll(1.0):
            if message.key in keys:
                body = json.loads(message.value)
                seen[message.key].add((body["source"], body["position"]))
    finally:
        consumer.close()
        bus.close()
    return dict(seen)
