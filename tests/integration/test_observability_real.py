"""Correlation ids and metrics on the real services: PostgreSQL, FerretDB, Redis,
Kafka and S3.

One request's ``X-Correlation-Id`` is on its answer, in the events it recorded and
in the headers of the integration events they became on Kafka. ``GET /metrics``
reports what was done: requests per route template, commands per outcome,
projection and consumer lag, timers due and the mentors' and leaders' waiting queues.
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import kafka
import pytest
from fastapi.testclient import TestClient

from adapters.bootstrap import Container, build_container
from adapters.http.app import create_app
from adapters.settings import Settings
from commands.base import Actor
from commands.identity.application import IdentityApplication
from commands.onboarding.messages import RecordOffering
from projections.careers.mentors import MENTORS_PROJECTION as MENTORS
from projections.identity.integration_events import USERS_TOPIC
from projections.integration_events import HEADER_CORRELATION_ID
from tests.support.candidate_story import RESUME_WRITING
from tests.support.identity import dev_id_token
from tests.support.mentoring_http import MentoringClient
from tests.support.metrics import scrape, value
from tests.support.onboarding_http import (
    OnboardingClient,
    RealServices,
    app_on_real_services,
    fresh_database,
)

pytestmark = pytest.mark.real_services

SCRAPE_TOKEN = "scrape-" + "s" * 24


@pytest.fixture
def app(real_services: RealServices) -> Iterator[tuple[TestClient, Container, str]]:
    with app_on_real_services(
        real_services, "obs", metrics_token=SCRAPE_TOKEN, metrics_fresh_seconds=0
    ) as composed:
        yield composed


def end_offsets(consumer: Any, topic: str) -> dict[Any, int]:
    partitions = consumer.partitions_for_topic(topic) or set()
    assigned = [kafka.TopicPartition(topic, p) for p in partitions]
    return dict(consumer.end_offsets(assigned))


def test_one_requests_id_is_on_the_answer_the_events_and_the_kafka_headers(
    app: tuple[TestClient, Container, str], kafka_bootstrap: str
) -> None:
    client, container, _ = app
    consumer = kafka.KafkaConsumer(
        bootstrap_servers=kafka_bootstrap, enable_auto_commit=False
    )
    try:
        # The topic is shared: read only what comes after this moment.
        client.get("/health/live")
        deadline = time.monotonic() + 30
        starts = end_offsets(consumer, USERS_TOPIC)
        while not starts and time.monotonic() < deadline:
            time.sleep(0.2)  # the topic is made by the first message sent to it
            starts = end_offsets(consumer, USERS_TOPIC)
        consumer.assign(list(starts))
        for partition, offset in starts.items():
            consumer.seek(partition, offset)

        correlation = f"obs-{uuid.uuid4().hex}"
        nonce = uuid.uuid4().hex
        token = dev_id_token(client, f"obs-{uuid.uuid4().hex[:8]}@example.org", nonce)
        signed = client.post(
            "/auth/sign-in",
            json={"id_token": token, "nonce": nonce},
            headers={"X-Correlation-Id": correlation},
        )
        assert signed.status_code == 200, signed.text

        # Check the answer names it.
        assert signed.headers["X-Correlation-Id"] == correlation
        user_id = signed.json()["user_id"]

        # Check the stored events carry it, read back from the application.
        identity = container.application(IdentityApplication)
        events = list(identity.events.get(UUID(user_id)))
        assert events
        assert {e.correlation_id for e in events} == {correlation}  # type: ignore[attr-defined]

        # Check the integration event on Kafka carries it in its headers.
        found = None
        deadline = time.monotonic() + 30
        while found is None and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    headers = {k: v.decode() for k, v in record.headers or []}
                    if headers.get(HEADER_CORRELATION_ID) == correlation:
                        found = record
        assert found is not None, "no message on Kafka with the request's id"
        payload = json.loads(found.value)
        assert user_id in json.dumps(payload)
    finally:
        consumer.close()


def test_metrics_report_requests_commands_lag_and_the_waiting_queue(
    app: tuple[TestClient, Container, str],
) -> None:
    client, container, run = app
    mentoring = MentoringClient.start(client, container, f"admin-{run}@example.org")
    admin = mentoring.admin

    # Check a scrape without credentials, or by someone not an admin, is refused.
    refused = client.get("/metrics")
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    candidate = mentoring.candidate()
    forbidden = client.get("/metrics", headers=candidate.headers)
    assert forbidden.status_code == 403
    assert forbidden.headers["content-type"] == "application/problem+json"
    wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401

    # Check the scrape token and an admin's access token are both let in.
    before = scrape(client, SCRAPE_TOKEN)
    assert scrape(client, admin.access_token)

    # Check the latency histogram counts exactly the requests made, per template.
    def served(text: str, route: str, status: str, method: str = "GET") -> float:
        counted = value(
            text,
            "spotlight_http_request_duration_seconds_count",
            route=route,
            method=method,
            status=status,
        )
        return counted or 0.0

    for _ in range(5):
        assert client.get("/health/live").status_code == 200
    missing = [str(uuid.uuid4()) for _ in range(3)]
    for mentor_id in missing:
        answer = client.put(
            f"/mentors/{mentor_id}/cap", json={"mentee_cap": 1}, headers=admin.headers
        )
        assert answer.status_code == 404, answer.text
    after = scrape(client, SCRAPE_TOKEN)
    assert (
        served(after, "/health/live", "200") - served(before, "/health/live", "200")
        == 5
    )
    assert (
        served(after, "/mentors/{user_id}/cap", "404", "PUT")
        - served(before, "/mentors/{user_id}/cap", "404", "PUT")
        == 3
    )
    assert not any(mentor_id in after for mentor_id in missing)

    # Check commands are counted by type and outcome: one refused, one accepted.
    def commands(text: str, command: str, outcome: str) -> float:
        return (
            value(text, "spotlight_commands_total", command=command, outcome=outcome)
            or 0.0
        )

    mentoring.ok(
        client.put("/careers-policy", json={"mentee_cap": 1}, headers=admin.headers)
    )
    counted = scrape(client, SCRAPE_TOKEN)
    assert (
        commands(counted, "SetCareersPolicy", "ok")
        - commands(after, "SetCareersPolicy", "ok")
        == 1
    )
    # The three refused above (no such mentor), and none before.
    assert commands(counted, "SetMentorCap", "not_found") == 3
    assert commands(before, "SetMentorCap", "not_found") == 0

    # Check the mentors' queue: one mentor with room for one, three candidates.
    mentoring.mentor(["resume_writing"])
    waiting = [mentoring.candidate() for _ in range(3)]
    token = ""
    for one in waiting:
        token = mentoring.complete(one, ["resume_writing"])
    source, _, position = token.partition(":")
    assert container.engine.wait_for(source, int(position), [MENTORS], 10) == 0
    queued = scrape(client, SCRAPE_TOKEN)
    assert value(queued, "spotlight_waiting_queue_length", queue="mentor") == 2
    assert value(queued, "spotlight_waiting_queue_length", queue="leader") == 0
    assert value(queued, "spotlight_timers_due") == 0

    # Check each source answered, and every projection's lag is reported (none
    # behind once caught up).
    for name in ("projections", "consumers", "timers", "queues"):
        assert value(queued, "spotlight_metric_source_up", source=name) == 1, name
    lag = value(
        queued,
        "spotlight_projection_lag_events",
        projection="careers_mentors",
        source="careers",
    )
    assert lag == 0

    # Check the inbound consumer's lag is reported for its topic.
    topic = container.settings.onboarding_offerings_topic
    assert (
        value(
            queued,
            "spotlight_consumer_lag_messages",
            consumer="onboarding_offering_flow",
            topic=topic,
        )
        is not None
    )

    # Check the leaders' queue: a community whose one leader takes no NPO, and an
    # NPO whose registration completes there.
    onboarding = OnboardingClient(client, container, admin)
    leader = onboarding.leader()
    onboarding.community(admin, ["resume-writing"], leader)
    onboarding.ok(
        client.put(
            f"/leaders/{leader.user_id}/cap",
            json={"npo_cap": 0},
            headers=admin.headers,
        )
    )
    owner = onboarding.user("NPO")
    npo_id = onboarding.npo(owner)
    offering_id = onboarding.offering(owner, npo_id, **RESUME_WRITING)
    container.dispatcher.dispatch(
        RecordOffering(
            actor=Actor.system("t"), npo_id=UUID(npo_id), offering_id=UUID(offering_id)
        )
    )
    onboarding.wait_for_npo(npo_id, owner, leader=False)
    leaders = scrape(client, SCRAPE_TOKEN)
    assert value(leaders, "spotlight_waiting_queue_length", queue="leader") == 1
    assert value(leaders, "spotlight_waiting_queue_length", queue="mentor") == 2

    # Check a projection that stopped is reported behind, in events and seconds.
    container.engine.stop()
    mentoring.ok(
        client.put("/careers-policy", json={"mentee_cap": 2}, headers=admin.headers)
    )
    time.sleep(0.05)  # the age of the unapplied event, measured from its record
    behind = scrape(client, SCRAPE_TOKEN)
    labels = {"projection": "careers_mentors", "source": "careers"}
    (mentors,) = [s for s in container.engine.status() if s.name == MENTORS]
    assert mentors.lag >= 1  # the policy's event, and what its raise served
    assert value(behind, "spotlight_projection_lag_events", **labels) == mentors.lag
    seconds = value(behind, "spotlight_projection_lag_seconds", **labels)
    assert seconds is not None
    assert seconds > 0


@pytest.fixture
def silent_broker() -> Iterator[str]:
    """An address that takes connections and never answers: a Kafka that hangs."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


@pytest.mark.parametrize("broker", ["silent", "refusing"])
def test_a_scrape_while_kafka_is_down_answers_quickly(
    broker: str, silent_broker: str, postgres_url: str, tmp_path: Path
) -> None:
    if broker == "refusing":
        with socket.socket() as probe:  # a port nobody listens on
            probe.bind(("127.0.0.1", 0))
            address = f"127.0.0.1:{probe.getsockname()[1]}"
    else:
        address = silent_broker
    with fresh_database(postgres_url) as database_url:
        settings = Settings(
            data_dir=tmp_path,
            postgres_url=database_url,
            kafka_bootstrap=address,
            metrics_token=SCRAPE_TOKEN,
            metrics_source_timeout_seconds=1.0,
        )
        container = build_container(settings)
        try:
            with TestClient(create_app(container=container)) as client:
                for _ in range(2):  # the second while the first read still hangs
                    started = time.monotonic()
                    text = scrape(client, SCRAPE_TOKEN)
                    took = time.monotonic() - started

                    # Check it answers within the bound, Kafka's figures reported
                    # down and the others there.
                    assert took < 2.5, took
                    up = {
                        name: value(text, "spotlight_metric_source_up", source=name)
                        for name in ("projections", "consumers", "timers", "queues")
                    }
                    assert up == {
                        "projections": 1,
                        "consumers": 0,
                        "timers": 1,
                        "queues": 1,
                    }
                    assert "spotlight_consumer_lag_messages{" not in text
                    assert (
                        value(text, "spotlight_waiting_queue_length", queue="mentor")
                        == 0
                    )
        finally:
            container.close()
