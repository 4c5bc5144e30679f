"""Onboarding and careers events become meetings, series and notifications."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from adapters.embedded.views import SqliteRelationalStore
from commands.base import Actor
from commands.careers.application import CareersApplication
from commands.careers.messages import (
    RetireMentor,
    SendRoadmapReminder,
    SetCareersPolicy,
)
from commands.scheduling.application import SchedulingApplication
from commands.scheduling.messages import RotateCalendarToken
from commands.scheduling.process_manager import PROCESS_MANAGER, process_manager_for
from domain.base import acting_as
from domain.scheduling.values import MeetingStatus
from queries.scheduling.meetings import availability_of, list_meetings, meetings_of
from queries.scheduling.notifications import list_notifications
from tests.support.mentoring import Careers
from tests.support.mentoring import admin as mentoring_admin
from tests.support.onboarding_fake import (
    FakeIdentity,
    FakeOnboarding,
    User,
)
from tests.support.roadmap import MentoredCandidate, goal
from tests.support.scheduling import SchedulingWorld

EVERY_DAY = [(d, "08:00", "18:00") for d in range(7)]


@pytest.fixture
def world() -> Iterator[SchedulingWorld]:
    env = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    helper = Careers()
    apps = [
        SchedulingApplication(env=env),
        FakeOnboarding(env=env),
        helper.app,
        FakeIdentity(env=env),
    ]
    store = SqliteRelationalStore(None)
    scheduling, onboarding, careers, identity = apps
    assert isinstance(scheduling, SchedulingApplication)
    yield SchedulingWorld(
        scheduling,
        {"onboarding": onboarding, "careers": careers, "identity": identity},
        store,
    )
    for app in apps[:2] + apps[3:]:
        app.close()
    helper.close()
    store.close()


def careers_of(world: SchedulingWorld) -> Careers:
    """The real careers application of the world, with its test helpers."""
    app = world.others["careers"]
    assert isinstance(app, CareersApplication)
    return Careers(app)


def onboarding_of(world: SchedulingWorld) -> FakeOnboarding:
    app = world.others["onboarding"]
    assert isinstance(app, FakeOnboarding)
    return app


def test_a_leader_assignment_books_the_intro_and_the_community_series(
    world: SchedulingWorld,
) -> None:
    for user in ("creator", "member", "leader"):
        world.free(user, "UTC", EVERY_DAY)
    onboarding = onboarding_of(world)
    npo = onboarding.register("creator")
    npo.add_member("member")
    with acting_as("admin", "corr-assign"):
        npo.assign_leader("leader", "community-1")
    onboarding.change(npo)

    world.settle()

    # Check the intro meeting: the NPO's members and their leader, 1-2 weeks out.
    by_kind = {m.kind: m for m in meetings_of(world.store, "member")}
    intro, series = by_kind["intro"], by_kind["community"]
    assert intro.kind == "intro"
    assert intro.status == MeetingStatus.BOOKED
    assert intro.attendees == ("creator", "leader", "member")
    assert intro.context["npo_id"] == str(npo.id)
    assert intro.starts_at is not None
    assigned_at = intro.created_at
    assert timedelta(days=7) <= intro.starts_at - assigned_at <= timedelta(days=8)
    # Check the members were added to the community's monthly series.
    assert series.kind == "community"
    assert series.rrule is not None
    assert series.rrule.startswith("FREQ=MONTHLY;BYDAY=")
    assert series.attendees == ("creator", "leader", "member")
    # Check the notices: a welcome (leader assigned) for the members, the NPO for
    # the leader, and the bookings.
    kinds = {n.kind for n in list_notifications(world.store, "member").items}
    assert kinds == {"leader_assigned", "meeting_booked", "series_joined"}
    leader_kinds = {n.kind for n in list_notifications(world.store, "leader").items}
    assert leader_kinds == {"npo_assigned", "meeting_booked", "series_joined"}
    welcome = next(
        n
        for n in list_notifications(world.store, "creator").items
        if n.kind == "leader_assigned"
    )
    assert welcome.payload == {"npo_id": str(npo.id), "leader_id": "leader"}


def test_commands_go_through_the_dispatcher_under_the_trigger_s_correlation(
    world: SchedulingWorld,
) -> None:
    for user in ("creator", "leader"):
        world.free(user, "UTC", EVERY_DAY)
    onboarding = onboarding_of(world)
    npo = onboarding.register("creator")
    with acting_as("admin", "corr-assign"):
        npo.assign_leader("leader", "community-1")
    onboarding.change(npo)

    world.settle()

    # Check the process manager sent typed messages, as the system, under the
    # correlation id of the event that triggered them.
    assert [type(c).__name__ for c in world.sent] == [
        "ScheduleIntroMeeting",
        "RequestDispatch",
        "RequestDispatch",
        "JoinSeries",
    ]
    assert {c.actor for c in world.sent} == {Actor.system("corr-assign")}
    # Check the events they recorded say so too.
    recorded = [
        world.scheduling.mapper.to_domain_event(n)
        for n in world.scheduling.recorder.select_notifications(start=None, limit=100)
    ]
    reactions = [
        (e.actor_id, e.correlation_id)  # type: ignore[attr-defined]
        for e in recorded
        if not type(e).__qualname__.startswith("Availability.")
    ]
    assert reactions
    assert set(reactions) == {("system", "corr-assign")}


def test_replaying_the_process_manager_books_nothing_twice(
    world: SchedulingWorld,
) -> None:
    for user in ("creator", "leader"):
        world.free(user, "UTC", EVERY_DAY)
    onboarding = onboarding_of(world)
    npo = onboarding.register("creator")
    npo.assign_leader("leader", "community-1")
    onboarding.change(npo)
    world.settle()
    head = world.scheduling.recorder.max_notification_id()

    # A rebuild reads every onboarding event again and re-issues its commands.
    world.engine.rebuild(PROCESS_MANAGER)
    world.settle()

    assert world.scheduling.recorder.max_notification_id() == head
    assert len(meetings_of(world.store, "creator")) == 2


def test_members_follow_the_series_and_deletion_cancels_the_intro(
    world: SchedulingWorld,
) -> None:
    for user in ("creator", "late", "leader"):
        world.free(user, "UTC", EVERY_DAY)
    onboarding = onboarding_of(world)
    npo = onboarding.register("creator")
    npo.assign_leader("leader", "community-1")
    onboarding.change(npo)
    npo.add_member("late")
    onboarding.change(npo)
    world.settle()
    # Check a member added after the assignment joins the series, not the intro.
    assert [m.kind for m in meetings_of(world.store, "late")] == ["community"]

    npo.remove_member("late")
    npo.delete("flagged")
    onboarding.change(npo)
    world.settle()

    assert meetings_of(world.store, "late") == []
    (intro,) = meetings_of(world.store, "creator")
    assert intro.status == "CANCELLED"
    now = intro.created_at
    assert list_meetings(world.store, "creator", now=now).items == []
    # The leader keeps the community's series; the NPO's members are out of it.
    series = [m for m in meetings_of(world.store, "leader") if m.kind == "community"]
    assert series[0].attendees == ("leader",)
    kinds = [n.kind for n in list_notifications(world.store, "creator").items]
    assert "npo_deleted" in kinds
    assert "meeting_cancelled" in kinds


def test_waiting_npos_alert_the_admins(world: SchedulingWorld) -> None:
    onboarding = onboarding_of(world)
    npo = onboarding.register("creator")
    npo.wait_for_leader("community-1")
    onboarding.change(npo)
    world.settle()

    (alert,) = list_notifications(world.store, "admin", audiences=["role:ADMIN"]).items
    assert alert.kind == "npo_waiting_for_leader"
    assert alert.payload == {"npo_id": str(npo.id), "community_id": "community-1"}
    assert list_notifications(world.store, "creator").items == []


def test_no_common_slot_for_the_intro_is_told(world: SchedulingWorld) -> None:
    world.free("creator", "UTC", [(0, "08:00", "09:00")])
    world.free("leader", "UTC", [(1, "08:00", "09:00")])
    onboarding = onboarding_of(world)
    npo = onboarding.register("creator")
    npo.assign_leader("leader", "community-1")
    onboarding.change(npo)
    world.settle()

    kinds = {n.kind for n in list_notifications(world.store, "creator").items}
    assert "meeting_not_booked" in kinds
    admin = list_notifications(world.store, "admin", audiences=["role:ADMIN"])
    assert [n.kind for n in admin.items] == ["meeting_not_booked"]


def test_a_mentor_assignment_books_an_intro_and_biweekly_one_to_ones(
    world: SchedulingWorld,
) -> None:
    cand, mentor = str(uuid4()), str(uuid4())
    world.free(cand, "Europe/Berlin", [(2, "10:00", "12:00")])
    world.free(mentor, "Europe/Berlin", [(2, "11:00", "13:00")])
    careers = careers_of(world)
    careers.mentor(["resume_writing"], user_id=mentor)
    careers.candidate(["resume_writing"], user_id=cand)
    world.settle()

    # Check the real Candidate.MentorAssigned booked the intro on both calendars,
    # the biweekly 1:1 series, and welcomed the candidate.
    meetings = {m.kind: m for m in meetings_of(world.store, cand)}
    assert set(meetings) == {"intro", "mentoring"}
    assert meetings["mentoring"].rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE"
    assert meetings["mentoring"].local_start is not None
    assert meetings["mentoring"].local_start.endswith("T11:00")
    first = meetings["intro"].starts_at
    assert first is not None
    assert first.astimezone(UTC).weekday() == 2
    # Check the first 1:1 comes after the introduction, not on the same slot.
    first_one_to_one = meetings["mentoring"].local_start
    assert first_one_to_one > first.astimezone(ZoneInfo("Europe/Berlin")).strftime(
        "%Y-%m-%dT%H:%M"
    )
    assert meetings["intro"].attendees == tuple(sorted((cand, mentor)))
    assert {m.kind for m in meetings_of(world.store, mentor)} == {"intro", "mentoring"}
    kinds = {n.kind for n in list_notifications(world.store, cand).items}
    assert {"mentor_assigned", "meeting_booked"} <= kinds
    mentor_kinds = {n.kind for n in list_notifications(world.store, mentor).items}
    assert "candidate_assigned" in mentor_kinds


def test_waiting_candidates_alert_the_admins_and_a_leaving_mentor_ends_the_1_to_1s(
    world: SchedulingWorld,
) -> None:
    careers = careers_of(world)
    cand, mentor = str(uuid4()), str(uuid4())
    for user in (cand, mentor):
        world.free(user, "UTC", EVERY_DAY)
    careers.mentor(user_id=mentor)
    careers.candidate(user_id=cand)
    waiting = careers.candidate()  # a second mentee (the default cap is 5)
    world.settle()
    assert careers.get_candidate(waiting).mentor_id == mentor
    careers.send(SetCareersPolicy(actor=mentoring_admin(), mentee_cap=1))
    late = careers.candidate()
    careers.send(
        RetireMentor(actor=Actor.system("c"), user_id=mentor, reason="mentor_left")
    )
    world.settle()

    # Check the admins are alerted (a notice and a dispatch) for each waiting one.
    admin = list_notifications(world.store, "admin", audiences=["role:ADMIN"])
    alerted = {
        n.payload["candidate_id"]
        for n in admin.items
        if n.kind == "candidate_waiting_for_mentor"
    }
    assert alerted == {cand, waiting, late}
    alerts = [
        d for d in dispatches(world) if d["kind"] == "admin_alert_waiting_candidate"
    ]
    assert {a["candidate_id"] for a in alerts} == {cand, waiting, late}
    assert all(a["recipient_ids"] == ["role:ADMIN"] for a in alerts)
    # Check the candidate left the 1:1 series with the mentor who left.
    series = {m.kind: m for m in meetings_of(world.store, mentor)}["mentoring"]
    assert cand not in series.attendees


def test_a_roadmap_reminder_is_a_notice_and_a_dispatch_to_its_recipient(
    world: SchedulingWorld,
) -> None:
    careers = careers_of(world)
    person = MentoredCandidate(careers)
    item = person.request(goal())
    person.approve(person.request(goal()))
    roadmap = person.roadmap()
    due = {t.kind.value: t for t in roadmap.due_timers()}
    for kind in ("approval_overdue", "nudge"):
        timer = due[kind]
        careers.send(
            SendRoadmapReminder(
                actor=Actor.system("timer"),
                candidate_id=person.candidate_id,
                kind=kind,
                subject=timer.subject,
                due_at=timer.due_at,
                now=timer.due_at,
            )
        )
    world.settle()
    world.engine.rebuild(PROCESS_MANAGER)  # replays: nothing is sent twice
    world.settle()

    # Check the mentor is alerted of the item awaiting approval, in the app (ids
    # only) and through the notification subsystem; the candidate is nudged.
    mentor_notices = list_notifications(world.store, person.mentor_id).items
    [alert] = [n for n in mentor_notices if n.kind == "roadmap_approval_overdue"]
    assert alert.payload == {
        "candidate_id": person.candidate_id,
        "item_id": item,
        "due_at": due["approval_overdue"].due_at.isoformat(),
    }
    candidate_notices = list_notifications(world.store, person.candidate_id).items
    assert "roadmap_nudge" in {n.kind for n in candidate_notices}
    reminders = [d for d in dispatches(world) if str(d["kind"]).startswith("roadmap")]
    assert reminders == [
        {
            "kind": "roadmap_approval_overdue",
            "channel": "email",
            "recipient_ids": [person.mentor_id],
            "candidate_id": person.candidate_id,
            "mentor_id": person.mentor_id,
        },
        {
            "kind": "roadmap_nudge",
            "channel": "email",
            "recipient_ids": [person.candidate_id],
            "candidate_id": person.candidate_id,
        },
    ]


def test_without_triggering_contexts_there_is_no_process_manager() -> None:
    app = SchedulingApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    sent: list[object] = []
    assert process_manager_for({"scheduling": app}, sent.append) == []
    (bound,) = process_manager_for(
        {"scheduling": app, "onboarding": FakeOnboarding(env={})}, sent.append
    )
    assert bound.sources == ("onboarding",)


def dispatches(world: SchedulingWorld) -> list[dict[str, object]]:
    found = []
    for n in world.scheduling.recorder.select_notifications(start=None, limit=1000):
        if n.topic.endswith("Dispatch.Requested"):
            event = world.scheduling.mapper.to_domain_event(n)
            found.append(
                {
                    k: v
                    for k, v in vars(event).items()
                    if k
                    not in {
                        "originator_id",
                        "originator_version",
                        "timestamp",
                        "originator_topic",
                        "actor_id",
                        "correlation_id",
                    }
                    and v is not None
                }
            )
    return found


def test_what_must_be_sent_is_dispatched_once_with_ids_only(
    world: SchedulingWorld,
) -> None:
    onboarding = onboarding_of(world)
    waiting = onboarding.register("w-creator")
    waiting.wait_for_leader("community-9")
    onboarding.change(waiting)
    npo = onboarding.register("creator")
    npo.add_member("member")
    npo.assign_leader("leader", "community-1")
    onboarding.change(npo)
    world.settle()
    world.engine.rebuild(PROCESS_MANAGER)  # replays: nothing is sent twice
    world.settle()

    assert dispatches(world) == [
        {
            "kind": "admin_alert_waiting_npo",
            "channel": "email",
            "recipient_ids": ["role:ADMIN"],
            "npo_id": str(waiting.id),
            "community_id": "community-9",
        },
        {
            "kind": "welcome_leader",
            "channel": "email",
            "recipient_ids": ["creator", "member"],
            "npo_id": str(npo.id),
            "leader_id": "leader",
            "community_id": "community-1",
        },
        {
            "kind": "role_training",
            "channel": "email",
            "recipient_ids": ["creator", "member"],
            "npo_id": str(npo.id),
            "role": "NPO",
        },
    ]


def test_a_refused_command_does_not_stop_the_process_manager(
    world: SchedulingWorld, caplog: pytest.LogCaptureFixture
) -> None:
    # Nobody entered availability: the mentoring series cannot be planned.
    careers = careers_of(world)
    careers.mentor(user_id="00000000-0000-0000-0000-00000000000a")
    cand = careers.candidate(user_id="00000000-0000-0000-0000-00000000000b")
    world.free("creator", "UTC", EVERY_DAY)
    world.free("leader", "UTC", EVERY_DAY)
    onboarding = onboarding_of(world)
    npo = onboarding.register("creator")
    npo.assign_leader("leader", "community-1")
    onboarding.change(npo)

    world.settle()

    assert "scheduling refused MentorAssigned" in caplog.text
    assert {m.kind for m in meetings_of(world.store, cand)} == {"intro"}
    assert {m.kind for m in meetings_of(world.store, "creator")} == {
        "intro",
        "community",
    }
    statuses = {s.name: s for s in world.engine.status()}
    assert statuses[PROCESS_MANAGER].lag == 0


def test_an_erased_user_is_forgotten_by_every_scheduling_view(
    world: SchedulingWorld,
) -> None:
    user = User(id=uuid4())
    me = str(user.id)
    for who in (me, "leader"):
        world.free(who, "Europe/Berlin", EVERY_DAY)
    onboarding = onboarding_of(world)
    npo = onboarding.register(me)
    npo.assign_leader("leader", "community-1")
    onboarding.change(npo)
    world.dispatch(
        RotateCalendarToken(actor=Actor(user_id=me, correlation_id="c"), user_id=me)
    )
    world.settle()
    assert availability_of(world.store, me) is not None
    assert list_notifications(world.store, me).items

    user.erase()
    world.others["identity"].save(user)
    world.settle()

    assert availability_of(world.store, me) is None
    assert list_notifications(world.store, me).items == []
    assert meetings_of(world.store, me) == []
    with world.store.transaction() as session:
        rows = session.fetchall(
            "SELECT user_id FROM calendar_feeds_v1 WHERE user_id = %s", (me,)
        )
    assert rows == []
    # The leader keeps the meeting, without the erased attendee.
    intro = next(m for m in meetings_of(world.store, "leader") if m.kind == "intro")
    assert intro.attendees == ("leader",)
    # In the log, the availability is cleared.
    assert world.scheduling.availability_of([me]) == {}
