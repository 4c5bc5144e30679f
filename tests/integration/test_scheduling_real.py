"""Scheduling, its process manager and its views on real PostgreSQL (events + views)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest

from adapters.postgres.database import eventsourcing_environment
from adapters.postgres.views import PostgresRelationalStore
from commands.scheduling.application import SchedulingApplication
from commands.scheduling.messages import MarkNotificationRead, RotateCalendarToken
from domain.scheduling.calendar_feed import token_digest
from projections.scheduling.notifications import NOTIFICATIONS_PROJECTION
from queries.scheduling.calendar_ics import render_calendar
from queries.scheduling.meetings import feed_owner, list_meetings, meetings_of
from queries.scheduling.notifications import list_notifications
from tests.support.ics import parse
from tests.support.onboarding_fake import FakeOnboarding
from tests.support.scheduling import ACTOR, SchedulingWorld

EVERY_DAY = [(d, "08:00", "18:00") for d in range(7)]


@pytest.fixture
def world(postgres_url: str, postgres_schema: str) -> Iterator[SchedulingWorld]:
    env = eventsourcing_environment(postgres_url, pool_size=2, max_overflow=2)
    env["POSTGRES_SCHEMA"] = postgres_schema
    views_schema = f"views_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{views_schema}"')
    scheduling = SchedulingApplication(env=env)
    onboarding = FakeOnboarding(env=env)
    store = PostgresRelationalStore(postgres_url, schema=views_schema)
    yield SchedulingWorld(scheduling, {"onboarding": onboarding}, store)
    store.close()
    scheduling.close()
    onboarding.close()
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA "{views_schema}" CASCADE')


def onboard(world: SchedulingWorld) -> str:
    onboarding = world.others["onboarding"]
    assert isinstance(onboarding, FakeOnboarding)
    npo = onboarding.register("creator")
    npo.add_member("member")
    npo.assign_leader("leader", "community-1")
    onboarding.change(npo)
    return str(npo.id)


def test_onboarding_events_become_meetings_and_notices_on_postgres(
    world: SchedulingWorld,
) -> None:
    for user in ("creator", "member", "leader"):
        world.free(user, "Europe/Berlin", EVERY_DAY)
    npo_id = onboard(world)

    world.settle()

    meetings = {m.kind: m for m in meetings_of(world.store, "member")}
    assert set(meetings) == {"intro", "community"}
    intro = meetings["intro"]
    assert intro.context == {
        "npo_id": npo_id,
        "leader_id": "leader",
        "community_id": "community-1",
    }
    assert intro.starts_at is not None
    assert timedelta(days=7) <= intro.starts_at - intro.created_at <= timedelta(days=8)
    upcoming = list_meetings(world.store, "member", now=intro.created_at)
    assert [m.meeting.kind for m in upcoming.items] == ["intro", "community"]
    kinds = {n.kind for n in list_notifications(world.store, "member").items}
    assert kinds == {"leader_assigned", "meeting_booked", "series_joined"}
    # Check the calendar of a member parses, with the series' rule in Berlin time.
    calendar = parse(
        render_calendar(meetings_of(world.store, "member"), now=intro.created_at)
    )
    rules = [
        e.get("RRULE").value
        for e in calendar.all("VEVENT")
        if any(p.name == "RRULE" for p in e.props)
    ]
    assert len(rules) == 1
    assert rules[0].startswith("FREQ=MONTHLY;BYDAY=")
    assert calendar.all("VTIMEZONE")[0].get("TZID").value == "Europe/Berlin"


def test_a_notifications_rebuild_keeps_ids_and_read_state(
    world: SchedulingWorld,
) -> None:
    for user in ("creator", "member", "leader"):
        world.free(user, "UTC", EVERY_DAY)
    onboard(world)
    world.settle()
    before = list_notifications(world.store, "member").items
    world.dispatch(
        MarkNotificationRead(
            actor=ACTOR, user_id="member", notification_id=before[0].id
        )
    )
    world.settle()
    expected = list_notifications(world.store, "member").items

    version = world.engine.rebuild(NOTIFICATIONS_PROJECTION)

    assert version == 2
    assert list_notifications(world.store, "member").items == expected
    assert expected[0].read_at is not None


def test_the_running_engine_wakes_on_listen_notify_for_read_your_writes(
    world: SchedulingWorld, postgres_url: str
) -> None:
    from adapters.postgres.listen import PostgresNotificationListener

    listener = PostgresNotificationListener(
        postgres_url,
        [
            getattr(app.recorder, "channel_name", f"{name}_events")
            for name, app in {"scheduling": world.scheduling, **world.others}.items()
        ],
        world.engine.wake,
        world.engine.board,
    )
    listener.start()
    world.engine.start()
    try:
        issued = world.dispatch(RotateCalendarToken(actor=ACTOR, user_id="ada"))
        token, result = issued.token, issued.result
        assert result.position is not None
        lag = world.engine.wait_for("scheduling", result.position, ["meetings"], 5.0)
        assert lag == 0
        assert feed_owner(world.store, token_digest(token)) == "ada"
    finally:
        world.engine.stop()
        listener.stop()
