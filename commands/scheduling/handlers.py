"""The scheduling context's handlers: one function per message in ``messages.py``.

Each loads what it changes afresh on every attempt (``app.execute``), so a write
that lost a race is decided again. Requests a process manager may repeat for one
trigger (a meeting, a series, a dispatch, an erasure, a read receipt) find what the
first one recorded by its derived id and change nothing.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from eventsourcing.domain import Aggregate

from commands.base import CommandResult
from commands.dispatch import HandlerTable
from commands.scheduling.application import SchedulingApplication
from commands.scheduling.messages import (
    CancelMeeting,
    FeedTokenIssued,
    ForgetUser,
    JoinSeries,
    LeaveSeries,
    MarkNotificationRead,
    RequestDispatch,
    RevokeCalendarToken,
    RotateCalendarToken,
    ScheduleIntroMeeting,
    SetAvailability,
)
from domain.base import ConflictError, acting_as
from domain.scheduling.availability import Availability, availability_id
from domain.scheduling.calendar_feed import (
    CalendarFeed,
    calendar_feed_id,
    token_digest,
)
from domain.scheduling.clock import parse_clock
from domain.scheduling.dispatch import Dispatch, dispatch_id
from domain.scheduling.erasure import Erasure, erasure_id
from domain.scheduling.meeting import Meeting, meeting_id
from domain.scheduling.meeting_series import MeetingSeries, series_id
from domain.scheduling.read_receipt import ReadReceipt, read_receipt_id
from domain.scheduling.slots import plan_biweekly_series, plan_monthly_series
from domain.scheduling.values import MeetingKind, WeeklyAvailability, WeeklyRange

# --- Availability --------------------------------------------------------------------


def set_availability(
    app: SchedulingApplication, command: SetAvailability
) -> CommandResult:
    weekly = WeeklyAvailability.of(
        command.time_zone,
        (
            WeeklyRange(
                r.weekday,
                parse_clock(r.start),
                parse_clock(r.end, allow_midnight_end=True),
            )
            for r in command.ranges
        ),
    )

    def decide() -> list[Availability]:
        with acting_as(command.actor.user_id, command.actor.correlation_id):
            current = app.find(availability_id(command.user_id), Availability)
            if current is None:
                return [Availability.create(command.user_id, weekly)]
            current.change(weekly)
            return [current]

    return app.execute(decide)


# --- Meetings ------------------------------------------------------------------------


def schedule_intro_meeting(
    app: SchedulingApplication, command: ScheduleIntroMeeting
) -> CommandResult:
    """Book (or record as not booked) once per ``request_key``."""
    the_id = meeting_id(command.request_key)

    def decide() -> list[Meeting]:
        if app.find(the_id, Meeting) is not None:
            return []
        users = [u for party in command.parties for u in party]
        with acting_as(command.actor.user_id, command.actor.correlation_id):
            return [
                Meeting.request(
                    request_key=command.request_key,
                    kind=command.kind,
                    title=command.title,
                    parties=command.parties,
                    organiser_id=command.organiser_id,
                    availability=app.availability_of([*users, command.organiser_id]),
                    trigger=command.trigger_at,
                    duration=timedelta(minutes=command.duration_minutes),
                    context=command.context,
                )
            ]

    result = app.execute(decide)
    return CommandResult((str(the_id),), result.source, result.position)


def cancel_meeting(app: SchedulingApplication, command: CancelMeeting) -> CommandResult:
    def decide() -> list[Meeting]:
        meeting = app.find(command.meeting_id, Meeting)
        if meeting is None:
            return []
        if command.only_upcoming and not meeting.is_upcoming(
            command.now or datetime.now(UTC)
        ):
            return []
        with acting_as(command.actor.user_id, command.actor.correlation_id):
            meeting.cancel(command.reason)
        return [meeting]

    return app.execute(decide)


# --- Series --------------------------------------------------------------------------


def join_series(app: SchedulingApplication, command: JoinSeries) -> CommandResult:
    the_id = series_id(command.series_key)

    def decide() -> list[MeetingSeries]:
        with acting_as(command.actor.user_id, command.actor.correlation_id):
            series = app.find(the_id, MeetingSeries)
            if series is None:
                series = _start_series(app, command)
            series.join(command.user_ids)
            return [series]

    result = app.execute(decide)
    return CommandResult((str(the_id),), result.source, result.position)


def _start_series(app: SchedulingApplication, command: JoinSeries) -> MeetingSeries:
    duration = timedelta(minutes=command.duration_minutes)
    organiser = app.availability_of([command.organiser_id]).get(command.organiser_id)
    if command.kind == MeetingKind.COMMUNITY:
        rule, local_start, time_zone = plan_monthly_series(
            organiser, command.trigger_at, duration=duration
        )
    else:
        others = [u for u in command.user_ids if u != command.organiser_id]
        available = app.availability_of(others)
        planned = plan_biweekly_series(
            [[organiser] if organiser else [], [*available.values()]],
            organiser.time_zone if organiser else "UTC",
            command.trigger_at,
            duration=duration,
        )
        if planned is None:
            raise ConflictError(
                "No common slot 2-3 weeks out for the mentoring series."
            )
        rule, local_start, time_zone = planned
    return MeetingSeries.start(
        series_key=command.series_key,
        kind=command.kind,
        title=command.title,
        organiser_id=command.organiser_id,
        rule=rule,
        local_start=local_start,
        time_zone=time_zone,
        duration=duration,
        context=command.context,
    )


def leave_series(app: SchedulingApplication, command: LeaveSeries) -> CommandResult:
    def decide() -> list[MeetingSeries]:
        series = app.find(series_id(command.series_key), MeetingSeries)
        if series is None:
            return []
        with acting_as(command.actor.user_id, command.actor.correlation_id):
            series.leave(command.user_ids)
        return [series]

    return app.execute(decide)


# --- Calendar feeds ------------------------------------------------------------------


def rotate_calendar_token(
    app: SchedulingApplication, command: RotateCalendarToken
) -> FeedTokenIssued:
    """A new feed token (shown once); the previous one stops working."""
    token = secrets.token_urlsafe(32)
    digest = token_digest(token)
    the_id = calendar_feed_id(command.user_id)

    def decide() -> list[CalendarFeed]:
        with acting_as(command.actor.user_id, command.actor.correlation_id):
            feed = app.find(the_id, CalendarFeed)
            if feed is None:
                return [
                    CalendarFeed(
                        id=the_id, user_id=command.user_id, token_digest=digest
                    )
                ]
            feed.rotate(digest)
            return [feed]

    return FeedTokenIssued(token, app.execute(decide))


def revoke_calendar_token(
    app: SchedulingApplication, command: RevokeCalendarToken
) -> CommandResult:
    def decide() -> list[CalendarFeed]:
        feed = app.find(calendar_feed_id(command.user_id), CalendarFeed)
        if feed is None:
            return []
        with acting_as(command.actor.user_id, command.actor.correlation_id):
            feed.revoke()
        return [feed]

    return app.execute(decide)


# --- Erasure -------------------------------------------------------------------------


def forget_user(app: SchedulingApplication, command: ForgetUser) -> CommandResult:
    """Once per user: clear their availability, stop their feed, and tell the
    views to drop what they hold about them."""
    the_id = erasure_id(command.user_id)

    def decide() -> list[Aggregate]:
        if app.find(the_id, Erasure) is not None:
            return []
        changed: list[Aggregate] = []
        with acting_as(command.actor.user_id, command.actor.correlation_id):
            availability = app.find(availability_id(command.user_id), Availability)
            if availability is not None:
                availability.change(WeeklyAvailability.of("UTC", ()))
                changed.append(availability)
            feed = app.find(calendar_feed_id(command.user_id), CalendarFeed)
            if feed is not None:
                feed.revoke()
                changed.append(feed)
            changed.append(Erasure(id=the_id, user_id=command.user_id))
        return changed

    return app.execute(decide)


# --- Notifications -------------------------------------------------------------------


def request_dispatch(
    app: SchedulingApplication, command: RequestDispatch
) -> CommandResult:
    the_id = dispatch_id(command.request_key)

    def decide() -> list[Dispatch]:
        if app.find(the_id, Dispatch) is not None:
            return []
        fields = command.model_dump(exclude={"actor", "request_key", "kind"})
        with acting_as(command.actor.user_id, command.actor.correlation_id):
            return [Dispatch(id=the_id, kind=str(command.kind), **fields)]

    result = app.execute(decide)
    return CommandResult((str(the_id),), result.source, result.position)


def mark_notification_read(
    app: SchedulingApplication, command: MarkNotificationRead
) -> CommandResult:
    """Idempotent: reading twice keeps the first time."""
    the_id = read_receipt_id(command.user_id, command.notification_id)

    def decide() -> list[ReadReceipt]:
        if app.find(the_id, ReadReceipt) is not None:
            return []
        with acting_as(command.actor.user_id, command.actor.correlation_id):
            return [
                ReadReceipt(
                    id=the_id,
                    user_id=command.user_id,
                    notification_id=command.notification_id,
                )
            ]

    return app.execute(decide)


HANDLERS = HandlerTable(
    SchedulingApplication,
    {
        SetAvailability: set_availability,
        ScheduleIntroMeeting: schedule_intro_meeting,
        CancelMeeting: cancel_meeting,
        JoinSeries: join_series,
        LeaveSeries: leave_series,
        RotateCalendarToken: rotate_calendar_token,
        RevokeCalendarToken: revoke_calendar_token,
        ForgetUser: forget_user,
        RequestDispatch: request_dispatch,
        MarkNotificationRead: mark_notification_read,
    },
)
