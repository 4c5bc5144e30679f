"""The seed's offering flow on the embedded bus: created → message → mapping,
COMPLETE and a leader; duplicates, replays and late messages change nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from uuid import UUID

import pytest

from adapters.bootstrap import offering_flow_consumer
from adapters.embedded.bus import InMemoryMessageBus
from adapters.embedded.cache import InMemoryCache
from adapters.embedded.documents import InMemoryDocumentStore
from adapters.embedded.views import SqliteRelationalStore
from adapters.kafka.inbound import InboundConsumer
from commands.base import Actor
from commands.onboarding.application import OnboardingApplication
from commands.onboarding.messages import (
    AddLeader,
    CreateCommunity,
    CreateNpo,
    CreateOffering,
    DeleteNpo,
)
from domain.onboarding.npo import Npo
from domain.onboarding.offering import Offering
from projections.contracts import ViewPorts
from projections.engine import ProjectionEngine
from projections.integration_events import HEADER_POSITION
from projections.onboarding.integration_events import (
    OFFERING_CREATED,
    OFFERINGS_TOPIC,
    OnboardingIntegrationEvents,
)
from projections.onboarding.relational import NposView
from queries.onboarding.npos import npo_of_offering
from tests.support.onboarding import (
    Onboarding,
    admin,
    npo_profile,
    npo_user,
    offering_content,
)


class Flow:
    def __init__(self) -> None:
        self.app = OnboardingApplication(
            env={"PERSISTENCE_MODULE": "eventsourcing.popo"}
        )
        self.onboarding = Onboarding(self.app)
        self.send = self.onboarding.send
        self.views = SqliteRelationalStore(None)
        self.bus = InMemoryMessageBus()
        self.engine = ProjectionEngine(
            self.views,
            {"onboarding": self.app},
            [NposView, OnboardingIntegrationEvents],
            ViewPorts(InMemoryDocumentStore(), InMemoryCache(), self.bus),
        )

    def consumer(self, group_id: str | None = None) -> InboundConsumer:
        return offering_flow_consumer(
            self.send,
            self.app.offerings_topic,
            self.views,
            self.bus,
            group_id=group_id,
            poll_timeout_seconds=0.01,
        )

    def create_npo(self, owner: Actor) -> str:
        return self.send(CreateNpo(actor=owner, profile=npo_profile())).ids[0]

    def create_offering(self, owner: Actor, npo_id: str) -> str:
        content = offering_content()
        return self.send(
            CreateOffering(actor=owner, npo_id=UUID(npo_id), content=content)
        ).ids[0]

    def drain(self, consumer: InboundConsumer) -> None:
        while consumer.poll_once():
            pass

    def npo(self, npo_id: str) -> Npo:
        found: object = self.app.repository.get(UUID(npo_id))
        assert isinstance(found, Npo)
        return found


@pytest.fixture
def flow() -> Iterator[Flow]:
    made = Flow()
    yield made
    made.views.close()
    made.app.close()


def test_an_offering_message_completes_the_npo_once(flow: Flow) -> None:
    boss = admin()
    community_id = flow.send(
        CreateCommunity(actor=boss, name="Careers", tags=("resume-writing",))
    ).ids[0]
    leader = flow.onboarding.leader("l0")
    flow.send(AddLeader(actor=boss, community_id=UUID(community_id), user_id=leader))
    owner = npo_user()
    npo_id = flow.create_npo(owner)
    first = flow.create_offering(owner, npo_id)
    second = flow.create_offering(owner, npo_id)
    flow.engine.catch_up()

    # Check the messages carry the NPO and offering ids, and nothing personal.
    messages = flow.bus.consumer([OFFERINGS_TOPIC], "peek").poll(0.01)
    assert [m.key for m in messages] == [first, second]
    payload = json.loads(messages[0].value)
    assert payload["event_type"] == OFFERING_CREATED
    assert payload["aggregate_id"] == first
    assert payload["data"] == {"npo_id": npo_id}

    consumer = flow.consumer()
    flow.drain(consumer)
    npo = flow.npo(npo_id)
    assert (npo.registration, npo.leader_id) == ("COMPLETE", "l0")
    assert npo.offering_ids == [first, second]
    flow.engine.catch_up()
    assert npo_of_offering(flow.views, second) == npo_id
    head = flow.app.recorder.max_notification_id()

    # Replay the topic from the beginning with a fresh consumer group, and publish
    # a duplicate: no second effect.
    flow.bus.publish(
        OFFERINGS_TOPIC, messages[0].key, messages[0].value, messages[0].headers
    )
    replay = flow.consumer(group_id="replay-from-scratch")
    flow.drain(replay)
    assert replay.stats.duplicates == 3
    assert flow.app.recorder.max_notification_id() == head
    # Even without the dedup table, the command itself is idempotent.
    flow.views.close()
    flow.views = SqliteRelationalStore(None)
    fresh = flow.consumer(group_id="no-memory")
    flow.drain(fresh)
    assert (fresh.stats.handled, fresh.stats.duplicates) == (2, 1)
    assert flow.app.recorder.max_notification_id() == head


def test_a_message_after_the_npo_was_deleted_takes_the_offering_down(
    flow: Flow,
) -> None:
    owner, boss = npo_user(), admin()
    npo_id = flow.create_npo(owner)
    offering_id = flow.create_offering(owner, npo_id)
    flow.send(DeleteNpo(actor=boss, npo_id=UUID(npo_id), reason="Fake"))
    flow.engine.catch_up()
    flow.drain(flow.consumer())
    found: object = flow.app.repository.get(UUID(offering_id))
    assert isinstance(found, Offering)
    assert (found.status, found.status_reason) == ("TAKEN_DOWN", "The NPO was deleted.")
    assert flow.npo(npo_id).offering_ids == []


def test_poison_messages_are_parked(flow: Flow) -> None:
    consumer = flow.consumer()
    flow.bus.publish(OFFERINGS_TOPIC, "k", b"not json", {"event-type": "x"})
    flow.drain(consumer)
    assert consumer.stats.dead_lettered == 1
    parked = flow.bus.consumer([OFFERINGS_TOPIC + ".dlq"], "ops").poll(0.01)
    assert parked[0].headers["dlq-consumer"] == "onboarding_offering_flow"


def test_a_message_naming_no_valid_ids_is_parked(flow: Flow) -> None:
    owner = npo_user()
    npo_id = flow.create_npo(owner)
    flow.create_offering(owner, npo_id)
    flow.engine.catch_up()
    (message,) = flow.bus.consumer([OFFERINGS_TOPIC], "peek").poll(0.01)
    payload = json.loads(message.value)
    # Another message (at another position), naming something that is not an id.
    payload["data"]["npo_id"] = "not-an-id"
    payload["position"] += 1000
    headers = {**message.headers, HEADER_POSITION: str(payload["position"])}
    flow.bus.publish(OFFERINGS_TOPIC, "k", json.dumps(payload).encode(), headers)
    consumer = flow.consumer()
    flow.drain(consumer)
    # Check the valid message was handled and the other one parked.
    assert (consumer.stats.handled, consumer.stats.dead_lettered) == (1, 1)
    assert flow.npo(npo_id).registration == "COMPLETE"
