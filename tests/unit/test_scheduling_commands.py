"""The scheduling context on the in-memory store, with its views on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from adapters.embedded.views import SqliteRelationalStore
from commands.scheduling.application import SchedulingApplication
from commands.scheduling.messages import (
    CancelMeeting,
    JoinSeries,
    LeaveSeries,
    MarkNotificationRead,
    RevokeCalendarToken,
    RotateCalendarToken,
    ScheduleIntroMeeting,
)
from domain.scheduling.calendar_feed import token_digest
from domain.scheduling.errors import InvalidAvailabilityError
from domain.scheduling.values import MeetingKind, MeetingStatus
from queries.scheduling.meetings import (
    availability_of,
    feed_owner,
    list_meetings,
    meetings_of,
)
from queries.scheduling.notifications import list_notifications
from tests.support.scheduling import ACTOR, SchedulingWorld

MONDAY = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def world() -> Iterator[SchedulingWorld]:
    app = SchedulingApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    store = SqliteRelationalStore(None)
    yield SchedulingWorld(app, {}, store)
    app.close()
    store.close()


def intro(trigger: datetime = MONDAY, key: str = "k-1") -> ScheduleIntroMeeting:
    return ScheduleIntroMeeting(
        actor=ACTOR,
        request_key=key,
        parties=[["npo-a", "npo-b"], ["leader"]],
        organiser_id="leader",
        title="Introduction",
        trigger_at=trigger,
        context={"npo_id": "npo-1"},
    )


def test_an_intro_is_booked_once_in_the_first_common_slot(
    world: SchedulingWorld,
) -> None:
    world.free("npo-a", "UTC", [(1, "09:00", "10:00")])
    world.free("npo-b", "America/New_York", [(2, "09:00", "12:00")])
    world.free("leader", "Europe/Berlin", [(2, "14:00", "18:00")])

    first = world.dispatch(intro())
    again = world.dispatch(intro())
    world.settle()

    # Check the second request under the same key changed nothing.
    assert again.ids == first.ids
    assert again.position is None
    # Check: Wednesday 12 March, 09:00 EDT = 14:00 CET = 13:00 UTC (npo-b + leader).
    (meeting,) = meetings_of(world.store, "leader")
    assert meeting.status == MeetingStatus.BOOKED
    assert meeting.starts_at == datetime(2031, 3, 12, 13, 0, tzinfo=UTC)
    assert meeting.ends_at == datetime(2031, 3, 12, 13, 30, tzinfo=UTC)
    assert meeting.attendees == ("leader", "npo-a", "npo-b")
    assert meeting.time_zone == "Europe/Berlin"
    assert meeting.context == {"npo_id": "npo-1"}
    # Check every attendee is told, with ids only.
    for user in ("npo-a", "npo-b", "leader"):
        (notice,) = list_notifications(world.store, user).items
        assert notice.kind == "meeting_booked"
        assert notice.payload == {"meeting_id": first.ids[0]}


def test_no_common_slot_is_recorded_and_told_to_parties_and_admins(
    world: SchedulingWorld,
) -> None:
    world.free("npo-a", "UTC", [(1, "09:00", "10:00")])
    world.free("leader", "UTC", [(3, "09:00", "10:00")])

    result = world.dispatch(intro())
    world.settle()

    assert list_meetings(world.store, "npo-a", now=MONDAY).items == []
    (meeting,) = meetings_of(world.store, "npo-a")
    assert meeting.status == MeetingStatus.NOT_BOOKED
    (notice,) = list_notifications(world.store, "npo-b").items
    assert notice.kind == "meeting_not_booked"
    assert notice.payload == {
        "meeting_id": result.ids[0],
        "missing_availability": ["npo-b"],
    }
    # Check admins see it in their shared list; others do not.
    admin_view = list_notifications(world.store, "admin-1", audiences=["role:ADMIN"])
    assert [n.kind for n in admin_view.items] == ["meeting_not_booked"]
    assert list_notifications(world.store, "someone").items == []


def test_availability_is_replaced_and_validated(world: SchedulingWorld) -> None:
    world.free("ada", "UTC", [(0, "09:00", "10:00")])
    world.free("ada", "Asia/Kolkata", [(4, "13:30", "24:00"), (0, "08:00", "09:00")])
    world.settle()

    found = availability_of(world.store, "ada")
    assert found is not None
    assert found.time_zone == "Asia/Kolkata"
    assert found.ranges == ((0, 480, 540), (4, 810, 1440))

    with pytest.raises(InvalidAvailabilityError):
        world.free("ada", "Nowhere/Town", [])
    with pytest.raises(InvalidAvailabilityError):
        world.free("ada", "UTC", [(0, "10:00", "09:00")])
    with pytest.raises(ValidationError):
        world.free("ada", "UTC", [(9, "10:00", "11:00")])


def test_the_community_series_is_created_once_and_members_join_and_leave(
    world: SchedulingWorld,
) -> None:
    world.free("leader", "Europe/Berlin", [(3, "17:00", "19:00")])

    def join(users: list[str]) -> None:
        world.dispatch(
            JoinSeries(
                actor=ACTOR,
                series_key="community:c-1",
                kind=MeetingKind.COMMUNITY,
                title="Monthly community meeting",
                organiser_id="leader",
                user_ids=users,
                trigger_at=MONDAY,
            )
        )

    join(["npo-a"])
    join(["npo-a", "npo-b"])
    world.dispatch(
        LeaveSeries(actor=ACTOR, series_key="community:c-1", user_ids=["npo-a"])
    )
    world.settle()

    assert meetings_of(world.store, "npo-a") == []
    (series,) = meetings_of(world.store, "npo-b")
    assert series.rrule == "FREQ=MONTHLY;BYDAY=TH;BYSETPOS=1"
    assert series.local_start == "2031-04-03T17:00"  # first Thursday after a week
    assert series.attendees == ("leader", "npo-b")
    page = list_meetings(world.store, "npo-b", now=MONDAY)
    (shown,) = page.items
    assert shown.next_starts[:2] == (
        datetime(2031, 4, 3, 15, 0, tzinfo=UTC),  # 17:00 CEST
        datetime(2031, 5, 1, 15, 0, tzinfo=UTC),
    )
    assert [n.kind for n in list_notifications(world.store, "npo-b").items] == [
        "series_joined"
    ]


def test_mentoring_series_is_biweekly_from_the_first_common_slot(
    world: SchedulingWorld,
) -> None:
    world.free("mentor", "America/New_York", [(1, "10:00", "12:00")])
    world.free("cand", "UTC", [(1, "15:30", "18:00")])

    world.dispatch(
        JoinSeries(
            actor=ACTOR,
            series_key="mentoring:cand:mentor",
            kind=MeetingKind.MENTORING,
            title="Career mentoring 1:1",
            organiser_id="mentor",
            user_ids=["cand"],
            trigger_at=MONDAY,
            duration_minutes=30,
        )
    )
    world.settle()

    (series,) = meetings_of(world.store, "cand")
    assert series.rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"
    # The first common slot 2-3 weeks out, a week after the introduction's window:
    # Tuesday 18 March 2031 (after the US DST change), 15:30 UTC is 11:30 EDT.
    assert series.local_start == "2031-03-18T11:30"
    assert series.time_zone == "America/New_York"


def test_upcoming_meetings_come_first_and_pages_are_bounded(
    world: SchedulingWorld,
) -> None:
    world.free("npo-a", "UTC", [(d, "08:00", "20:00") for d in range(7)])
    world.free("leader", "UTC", [(d, "08:00", "20:00") for d in range(7)])
    for i in range(5):
        world.dispatch(intro(MONDAY + timedelta(days=i), key=f"k-{i}"))
    world.settle()
    # Meetings are at 09:00-09:30 on days 7 to 11; at 09:15 on day 9 the third
    # is in progress, so it still counts as upcoming.
    now = MONDAY + timedelta(days=9, minutes=15)

    first = list_meetings(world.store, "npo-a", now=now, limit=2)
    rest = list_meetings(world.store, "npo-a", now=now, cursor=first.next_cursor)

    assert [m.starts_at for m in first.items] == [
        MONDAY + timedelta(days=9),
        MONDAY + timedelta(days=10),
    ]
    assert first.next_cursor is not None
    assert [m.starts_at for m in rest.items] == [MONDAY + timedelta(days=11)]
    assert rest.next_cursor is None
    everything = list_meetings(world.store, "npo-a", now=now, include_past=True)
    assert [m.starts_at for m in everything.items] == [
        MONDAY + timedelta(days=d) for d in (9, 10, 11, 8, 7)
    ]


def test_a_cancelled_meeting_leaves_the_list(world: SchedulingWorld) -> None:
    world.free("npo-a", "UTC", [(2, "09:00", "10:00")])
    world.free("leader", "UTC", [(2, "09:00", "10:00")])
    booked = world.dispatch(intro())
    world.dispatch(
        CancelMeeting(actor=ACTOR, meeting_id=booked.ids[0], reason="npo_deleted")
    )
    world.settle()

    assert list_meetings(world.store, "npo-a", now=MONDAY).items == []
    (meeting,) = meetings_of(world.store, "npo-a")
    assert meeting.status == "CANCELLED"
    assert meeting.sequence == 2
    kinds = [n.kind for n in list_notifications(world.store, "npo-a").items]
    assert sorted(kinds) == ["meeting_booked", "meeting_cancelled"]


def test_feed_tokens_rotate_and_revoke(world: SchedulingWorld) -> None:
    old = world.dispatch(RotateCalendarToken(actor=ACTOR, user_id="ada")).token
    new = world.dispatch(RotateCalendarToken(actor=ACTOR, user_id="ada")).token
    world.settle()
    assert len(new) >= 40
    assert old != new
    assert feed_owner(world.store, token_digest(old)) is None
    assert feed_owner(world.store, token_digest(new)) == "ada"

    world.dispatch(RevokeCalendarToken(actor=ACTOR, user_id="ada"))
    world.settle()
    assert feed_owner(world.store, token_digest(new)) is None
    # Check the secret itself is never stored: only its digest is in the events.
    stored = world.scheduling.recorder.select_notifications(start=None, limit=100)
    assert not any(new.encode() in n.state for n in stored)


def test_reading_a_notification_is_per_user_and_idempotent(
    world: SchedulingWorld,
) -> None:
    world.free("npo-a", "UTC", [(1, "09:00", "10:00")])
    world.free("leader", "UTC", [(3, "09:00", "10:00")])
    world.dispatch(intro())
    world.settle()
    (mine,) = list_notifications(world.store, "admin-1", audiences=["role:ADMIN"]).items

    first = world.dispatch(
        MarkNotificationRead(actor=ACTOR, user_id="admin-1", notification_id=mine.id)
    )
    again = world.dispatch(
        MarkNotificationRead(actor=ACTOR, user_id="admin-1", notification_id=mine.id)
    )
    world.settle()

    assert first.position is not None
    assert again.position is None
    (read,) = list_notifications(world.store, "admin-1", audiences=["role:ADMIN"]).items
    assert read.read_at is not None
    # Check another admin still has it unread.
    other = list_notifications(
        world.store, "admin-2", audiences=["role:ADMIN"], unread_only=True
    )
    assert [n.id for n in other.items] == [mine.id]
    unread = list_notifications(
        world.store, "admin-1", audiences=["role:ADMIN"], unread_only=True
    )
    assert unread.items == []
