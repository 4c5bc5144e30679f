"""The real onboarding context's events drive scheduling (no stand-ins)."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest

from adapters.embedded.views import SqliteRelationalStore
from commands.base import Actor
from commands.onboarding.application import OnboardingApplication
from commands.onboarding.messages import (
    AddLeader,
    AddMember,
    CreateCommunity,
    CreateNpo,
    CreateOffering,
    RecordOffering,
)
from commands.scheduling.application import SchedulingApplication
from queries.scheduling.meetings import meetings_of
from queries.scheduling.notifications import list_notifications
from tests.support.onboarding import (
    Onboarding,
    admin,
    npo_profile,
    npo_user,
    offering_content,
)
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
    onboarding = Onboarding(app)
    send = onboarding.send
    owner, colleague = npo_user(), npo_user()
    boss = admin()
    community = send(
        CreateCommunity(actor=boss, name="Careers", tags=("resume-writing",))
    ).ids[0]
    leader = onboarding.leader("leader-1")
    send(AddLeader(actor=boss, community_id=UUID(community), user_id=leader))
    for user in (owner.user_id, colleague.user_id, "leader-1"):
        world.free(user, "America/Chicago", EVERY_WEEKDAY)
    npo_id = UUID(send(CreateNpo(actor=owner, profile=npo_profile())).ids[0])
    onboarding.npo_member(colleague)
    send(AddMember(actor=owner, npo_id=npo_id, user_id=colleague.user_id))
    content = offering_content()
    offering_id = UUID(
        send(CreateOffering(actor=colleague, npo_id=npo_id, content=content)).ids[0]
    )
    # As the offering flow's consumer does:
    send(
        RecordOffering(
            actor=Actor.system("corr"), npo_id=npo_id, offering_id=offering_id
        )
    )

    world.settle()

    meetings = {m.kind: m for m in meetings_of(world.store, colleague.user_id)}
    assert set(meetings) == {"intro", "community"}
    assert meetings["intro"].attendees == tuple(
        sorted([owner.user_id, colleague.user_id, "leader-1"])
    )
    assert meetings["intro"].context == {
        "npo_id": str(npo_id),
        "leader_id": "leader-1",
        "community_id": community,
    }
    assert meetings["community"].organiser_id == "leader-1"
    kinds = {n.kind for n in list_notifications(world.store, owner.user_id).items}
    assert {"leader_assigned", "meeting_booked", "series_joined"} <= kinds
