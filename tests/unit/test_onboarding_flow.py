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
from commands.onboarding import communities, npos, offerings
from commands.onboarding.application import OnboardingApplication
from domain.onboarding.npo import Npo
from domain.onboarding.offering import Offering
from projections.contracts import ViewPorts
from projections.engine import ProjectionEngine
from projections.onboarding.integration import OnboardingIntegrationEvents
from projections.onboarding.npos import NposView
from projections.onboarding.topics import OFFERING_CREATED, OFFERINGS_TOPIC
from queries import onboarding as q
from tests.support.onboarding import admin, npo_profile, npo_user, offering_content


class Flow:
    def __init__(self) -> None:
        self.app = OnboardingApplication(
            env={"PERSISTENCE_MODULE": "eventsourcing.popo"}
        )
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
            self.app, self.views, self.bus, group_id=group_id, poll_timeout_seconds=0.01
        )

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
    community_id = communities.create_community(
        flow.app, boss, name="Careers", description=None, tags=["resume-writing"]
    ).ids[0]
    communities.add_leader(flow.app, boss, community_id, "l0", {"COMMUNITY_LEADER"})
    owner = npo_user()
    npo_id = npos.create_npo(flow.app, owner, npo_profile()).ids[0]
    first = offerings.create_offering(flow.app, owner, npo_id, offering_content()).ids[
        0
    ]
    second = offerings.create_offering(flow.app, owner, npo_id, offering_content()).ids[
        0
    ]
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
    assert q.npo_of_offering(flow.views, second) == npo_id
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
    npo_id = npos.create_npo(flow.app, owner, npo_profile()).ids[0]
    offering_id = offerings.create_offering(
        flow.app, owner, npo_id, offering_content()
    ).ids[0]
    npos.delete_npo(flow.app, boss, npo_id, "Fake")
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
