"""What scheduling publishes for the notification subsystem (ids only)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from adapters.embedded.bus import InMemoryMessageBus
from adapters.embedded.cache import InMemoryCache
from adapters.embedded.documents import InMemoryDocumentStore
from adapters.embedded.views import SqliteRelationalStore
from commands.dispatch import Dispatcher
from commands.scheduling.application import SchedulingApplication
from commands.scheduling.handlers import HANDLERS
from commands.scheduling.messages import AvailabilityRange, SetAvailability
from commands.scheduling.process_manager import process_manager_for
from projections.contracts import ViewPorts
from projections.engine import ProjectionEngine
from projections.integration_events import decode_message
from projections.scheduling.integration_events import (
    MEETINGS_TOPIC,
    NOTIFICATION_REQUESTS_TOPIC,
    SchedulingIntegrationEvents,
)
from tests.support.onboarding_fake import FakeOnboarding
from tests.support.scheduling import ACTOR


@pytest.fixture
def bus() -> InMemoryMessageBus:
    return InMemoryMessageBus()


@pytest.fixture
def engine(bus: InMemoryMessageBus) -> Iterator[ProjectionEngine]:
    env = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    apps = {
        "scheduling": SchedulingApplication(env=env),
        "onboarding": FakeOnboarding(env=env),
    }
    store = SqliteRelationalStore(None)
    dispatcher = Dispatcher(apps, [HANDLERS])
    built = ProjectionEngine(
        store,
        apps,
        [SchedulingIntegrationEvents, *process_manager_for(apps, dispatcher.dispatch)],
        ViewPorts(InMemoryDocumentStore(), InMemoryCache(), bus),
    )
    yield built
    store.close()
    for app in apps.values():
        app.close()


def test_a_leader_assignment_publishes_dispatches_and_the_booking(
    engine: ProjectionEngine, bus: InMemoryMessageBus
) -> None:
    scheduling = engine.applications["scheduling"]
    onboarding = engine.applications["onboarding"]
    assert isinstance(scheduling, SchedulingApplication)
    assert isinstance(onboarding, FakeOnboarding)
    dispatcher = Dispatcher({"scheduling": scheduling}, [HANDLERS])
    for user in ("creator", "leader"):
        dispatcher.dispatch(
            SetAvailability(
                actor=ACTOR,
                user_id=user,
                time_zone="UTC",
                ranges=[AvailabilityRange(weekday=2, start="09:00", end="12:00")],
            )
        )
    npo = onboarding.register("creator")
    npo.assign_leader("leader", "community-1")
    onboarding.change(npo)
    while engine.catch_up():
        pass

    consumer = bus.consumer([NOTIFICATION_REQUESTS_TOPIC, MEETINGS_TOPIC], "test")
    events = [decode_message(m) for m in consumer.poll(0.1)]

    by_type: dict[str, list[dict[str, object]]] = {}
    for e in events:
        by_type.setdefault(e.event_type, []).append(dict(e.data))
    assert sorted(by_type) == [
        "scheduling.DispatchRequested",
        "scheduling.MeetingBooked",
        "scheduling.SeriesAttendeesJoined",
        "scheduling.SeriesCreated",
    ]
    kinds = sorted(str(d["kind"]) for d in by_type["scheduling.DispatchRequested"])
    assert kinds == ["role_training", "welcome_leader"]
    welcome = next(
        d
        for d in by_type["scheduling.DispatchRequested"]
        if d["kind"] == "welcome_leader"
    )
    assert welcome["recipient_ids"] == ["creator"]
    assert welcome["leader_id"] == "leader"
    assert welcome["npo_id"] == str(npo.id)
    (booked,) = by_type["scheduling.MeetingBooked"]
    assert booked["kind"] == "intro"
    assert booked["attendee_ids"] == ["creator", "leader"]
    assert str(booked["starts_at"]).endswith("+00:00")
    (series,) = by_type["scheduling.SeriesCreated"]
    assert str(series["rrule"]).startswith("FREQ=MONTHLY")
    # Check nothing personal leaves: the NPO's profile is not in any message.
    for e in events:
        assert "secret" not in json.dumps(dict(e.payload))
