"""The seed's offering flow on real PostgreSQL and Kafka: offering created → message
→ mapping in PostgreSQL, NPO COMPLETE, leader assigned. Replaying the whole topic
with a fresh consumer group — and even with no deduplication memory — changes
nothing."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterator
from urllib.parse import quote
from uuid import UUID

import pytest

from adapters.bootstrap import offering_flow_consumer
from adapters.embedded.cache import InMemoryCache
from adapters.kafka.bus import KafkaMessageBus
from adapters.kafka.inbound import InboundConsumer
from adapters.mongo.documents import MongoDocumentStore
from adapters.postgres.database import eventsourcing_environment
from adapters.postgres.views import PostgresRelationalStore
from commands.onboarding.application import OnboardingApplication
from commands.onboarding.inbound import offering_flow_handlers
from commands.onboarding.messages import (
    AddLeader,
    CreateCommunity,
    CreateNpo,
    CreateOffering,
)
from domain.onboarding.npo import Npo
from projections.contracts import ViewPorts
from projections.engine import ProjectionEngine
from projections.onboarding.integration_events import onboarding_projections
from queries.onboarding.npos import npo_of_offering
from tests.support.onboarding import (
    Onboarding,
    admin,
    npo_profile,
    npo_user,
    offering_content,
)

NPOS = 12


def _views(postgres_url: str, schema: str) -> PostgresRelationalStore:
    options = quote(f"-csearch_path={schema}")
    separator = "&" if "?" in postgres_url else "?"
    return PostgresRelationalStore(f"{postgres_url}{separator}options={options}")


@pytest.fixture
def app(postgres_url: str, postgres_schema: str) -> Iterator[OnboardingApplication]:
    env = eventsourcing_environment(postgres_url, pool_size=4, max_overflow=4)
    env["POSTGRES_SCHEMA"] = postgres_schema
    made = OnboardingApplication(env=env)
    made.offerings_topic = f"it-offerings-{uuid.uuid4().hex[:12]}"
    yield made
    made.close()


@pytest.fixture
def views(postgres_url: str, postgres_schema: str) -> Iterator[PostgresRelationalStore]:
    store = _views(postgres_url, postgres_schema)
    yield store
    store.close()


@pytest.fixture
def bus(kafka_bootstrap: str) -> Iterator[KafkaMessageBus]:
    made = KafkaMessageBus(kafka_bootstrap)
    yield made
    made.close()


@pytest.fixture
def documents(mongo_url: str) -> Iterator[MongoDocumentStore]:
    store = MongoDocumentStore(mongo_url, f"it_onboarding_{uuid.uuid4().hex[:10]}")
    yield store
    store.drop("offerings_v1")
    store.close()


def _npo(app: OnboardingApplication, npo_id: str) -> Npo:
    found: object = app.repository.get(UUID(npo_id))
    assert isinstance(found, Npo)
    return found


def _drain(consumer: InboundConsumer, done: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while consumer.stats.done < done and time.monotonic() < deadline:
        consumer.poll_once()
    assert consumer.stats.done >= done, consumer.stats


def test_the_flow_completes_npos_and_a_replayed_topic_changes_nothing(
    app: OnboardingApplication,
    views: PostgresRelationalStore,
    bus: KafkaMessageBus,
    documents: MongoDocumentStore,
    postgres_url: str,
) -> None:
    onboarding = Onboarding(app)
    send = onboarding.send
    boss = admin()
    community_id = send(
        CreateCommunity(actor=boss, name="Careers", tags=("resume-writing",))
    ).ids[0]
    for n in range(3):
        leader = onboarding.leader(f"l{n}")
        send(AddLeader(actor=boss, community_id=UUID(community_id), user_id=leader))
    engine = ProjectionEngine(
        views,
        {"onboarding": app},
        list(onboarding_projections({"onboarding": app})),
        ViewPorts(documents, InMemoryCache(), bus),
        retry_delay_seconds=0.05,
    )
    app.on_recorded(engine.wake)
    engine.start()
    consumer = offering_flow_consumer(
        send, app.offerings_topic, views, bus, poll_timeout_seconds=0.2
    )
    consumer.start()
    try:
        pairs = []
        for _ in range(NPOS):
            owner = npo_user()
            npo_id = send(CreateNpo(actor=owner, profile=npo_profile())).ids[0]
            offering_id = send(
                CreateOffering(
                    actor=owner, npo_id=UUID(npo_id), content=offering_content()
                )
            ).ids[0]
            pairs.append((npo_id, offering_id))
        # A second offering of the first NPO: mapped, nothing else.
        owner_id = _npo(app, pairs[0][0]).creator_id
        extra = send(
            CreateOffering(
                actor=npo_user(owner_id),
                npo_id=UUID(pairs[0][0]),
                content=offering_content(title="Second"),
            )
        ).ids[0]
        done = consumer.wait_for(lambda s: s.handled >= NPOS + 1, 60)
        assert done, (consumer.stats, [(s.name, s.last_error) for s in engine.status()])
    finally:
        consumer.stop()

    # Check every NPO completed, leaders evenly round-robin, mapped in PostgreSQL.
    # (The topic has several partitions: messages of different offerings may be
    # consumed in another order than they were created.)
    leaders = Counter(_npo(app, npo_id).leader_id for npo_id, _ in pairs)
    assert leaders == {f"l{i}": NPOS // 3 for i in range(3)}
    assert all(_npo(app, npo_id).registration == "COMPLETE" for npo_id, _ in pairs)
    head = app.recorder.max_notification_id()
    assert head is not None
    assert engine.wait_for("onboarding", head, ["onboarding_npos"], 10) == 0
    for npo_id, offering_id in pairs:
        assert npo_of_offering(views, offering_id) == npo_id
    assert npo_of_offering(views, extra) == pairs[0][0]
    doc = documents.get("offerings_v1", pairs[0][1])
    assert doc is not None
    assert doc["_version"] == 1

    # Replay the topic from the beginning under a fresh consumer group.
    replay = offering_flow_consumer(
        send, app.offerings_topic, views, bus, group_id=f"replay-{uuid.uuid4().hex[:8]}"
    )
    _drain(replay, NPOS + 1)
    assert replay.stats.duplicates == NPOS + 1
    assert app.recorder.max_notification_id() == head

    # And with no memory of what was processed (a fresh schema for the claims):
    # the commands themselves are idempotent.
    forgetful_schema = f"test_{uuid.uuid4().hex[:12]}"
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{forgetful_schema}"')
    forgetful_views = _views(postgres_url, forgetful_schema)
    try:
        forgetful = InboundConsumer(
            "onboarding_offering_flow",
            [app.offerings_topic],
            offering_flow_handlers(send),
            store=forgetful_views,
            bus=bus,
            group_id=f"forgetful-{uuid.uuid4().hex[:8]}",
            poll_timeout_seconds=0.2,
        )
        _drain(forgetful, NPOS + 1)
        assert forgetful.stats.handled == NPOS + 1
        assert app.recorder.max_notification_id() == head
    finally:
        forgetful_views.close()
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{forgetful_schema}" CASCADE')
        engine.stop()
