"""The real onboarding context's events drive scheduling (no stand-ins)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.embedded.views import SqliteRelationalStore
from commands.onboarding import communities, flow, npos, offerings
from commands.onboarding.application import OnboardingApplication
from commands.scheduling import SchedulingApplication
from queries.scheduling import list_notifications, meetings_of
from tests.support.onboarding import admin, npo_profile, npo_user, offering_content
from tests.support.scheduling import SchedulingWorld

EVERY_WEEKDAY = [(d, "09:00", "17:00") for d in range(5)]


@pytest.fixture
def world() -> Iterator[SchedulingWorld]:
    env = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    scheduling = SchedulingApplication(env=env)
    onboarding = OnboardingApplication(env=env)
    store = SqliteRelationalStore(None)
    yield SchedulingWorld(scheduling, {"onboarding": onboarding}, store)
    scheduling.close()
    onboarding.close()
    store.close()


def test_an_npo_completed_by_its_first_offering_meets_its_leader(
    world: SchedulingWorld,
) -> None:
    app = world.others["onboarding"]
    assert isinstance(app, OnboardingApplication)
    owner, colleague = npo_user(), npo_user()
    boss = admin()
    community = communities.create_community(
        app, boss, name="Careers", description=None, tags=["resume-writing"]
    ).ids[0]
    communities.add_leader(app, boss, community, "leader-1", {"COMMUNITY_LEADER"})
    for user in (owner.user_id, colleague.user_id, "leader-1"):
        world.free(user, "America/Chicago", EVERY_WEEKDAY)
    npo_id = npos.create_npo(app, owner, npo_profile()).ids[0]
    npos.add_member(app, owner, npo_id, colleague.user_id, {"NPO"})
    offering_id = offerings.create_offering(
        app, colleague, npo_id, offering_content()
    ).ids[0]
    flow.record_offering(app, npo_id, offering_id, "corr")  # as the consumer does

    world.settle()

    meetings = {m.kind: m for m in meetings_of(world.store, colleague.user_id)}
    assert set(meetings) == {"intro", "community"}
    assert meetings["intro"].attendees == tuple(
        sorted([owner.user_id, colleague.user_id, "leader-1"])
    )
    assert meetings["intro"].context == {
        "npo_id": npo_id,
        "leader_id": "leader-1",
        "community_id": community,
    }
    assert meetings["community"].organiser_id == "leader-1"
    kinds = {n.kind for n in list_notifications(world.store, owner.user_id).items}
    assert {"leader_assigned", "meeting_booked", "series_joined"} <= kinds
