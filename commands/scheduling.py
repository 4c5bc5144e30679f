"""The scheduling context's write side: availability, meetings, series, feeds, reads.

Every handler is idempotent where a process manager may call it twice for the same
trigger: meetings and series have ids derived from a request or series key, so a
replayed onboarding event finds the meeting it already booked and changes nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from pydantic import BaseModel, ConfigDict, Field, field_validator

from commands.base import CommandResult, SpotlightApplication
from domain.base import ConflictError, acting_as
from domain.scheduling import (
    Availability,
    CalendarFeed,
    Dispatch,
    DispatchKind,
    Erasure,
    Meeting,
    MeetingKind,
    MeetingSeries,
    ReadReceipt,
    WeeklyAvailability,
    WeeklyRange,
    availability_id,
    calendar_feed_id,
    dispatch_id,
    erasure_id,
    meeting_id,
    parse_clock,
    plan_biweekly_series,
    plan_monthly_series,
    read_receipt_id,
    series_id,
)

TAggregate = TypeVar("TAggregate", bound=Aggregate)

MAX_PARTY_SIZE = 200  # an NPO has at most 200 members


# --- Command messages -----------------------------------------------------------


class Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    actor_id: str = Field(description="Who acts: a user id, or 'system'.")
    correlation_id: str


class AvailabilityRange(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    weekday: int = Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday")
    start: str = Field(pattern=r"^\d{2}:\d{2}$", examples=["09:00"])
    end: str = Field(pattern=r"^\d{2}:\d{2}$", examples=["17:30"])


class SetAvailability(Command):
    user_id: str
    time_zone: str = Field(max_length=64, examples=["Europe/Berlin"])
    ranges: list[AvailabilityRange] = Field(max_length=50)


class ScheduleIntroMeeting(Command):
    """Book an introduction in the first slot every party is free, 1-2 weeks out."""

    request_key: str = Field(
        min_length=1,
        max_length=200,
        description="Names the trigger; a second request under it changes nothing.",
    )
    parties: list[list[str]] = Field(min_length=2, max_length=10)
    organiser_id: str
    title: str = Field(min_length=1, max_length=200)
    kind: MeetingKind = MeetingKind.INTRO
    trigger_at: datetime
    duration_minutes: int = Field(default=30, ge=5, le=480)
    context: dict[str, str] = Field(default_factory=dict)

    @field_validator("parties")
    @classmethod
    def _bounded_parties(cls, parties: list[list[str]]) -> list[list[str]]:
        if any(not 1 <= len(p) <= MAX_PARTY_SIZE for p in parties):
            raise ValueError(f"each party has 1 to {MAX_PARTY_SIZE} users")
        return parties


class JoinSeries(Command):
    """Add users to a recurring series, creating it on first use.

    ``community`` series are monthly (the organiser's first weekly range long
    enough, first such weekday of the month); ``mentoring`` series are every two
    weeks from the first slot organiser and attendees share 1-2 weeks out.
    """

    series_key: str = Field(min_length=1, max_length=200)
    kind: Literal[MeetingKind.COMMUNITY, MeetingKind.MENTORING]
    title: str = Field(min_length=1, max_length=200)
    organiser_id: str
    user_ids: list[str] = Field(max_length=500)
    trigger_at: datetime
    duration_minutes: int = Field(default=60, ge=5, le=480)
    context: dict[str, str] = Field(default_factory=dict)


class LeaveSeries(Command):
    series_key: str
    user_ids: list[str] = Field(max_length=500)


class CancelMeeting(Command):
    meeting_id: UUID
    reason: str = Field(min_length=1, max_length=200)
    only_upcoming: bool = Field(
        default=False, description="Leave a meeting that has begun by ``now`` alone."
    )
    now: datetime | None = None


class RotateCalendarToken(Command):
    user_id: str


class RevokeCalendarToken(Command):
    user_id: str


class RequestDispatch(Command):
    """Ask the notification subsystem to send something (once per key)."""

    request_key: str = Field(min_length=1, max_length=200)
    kind: DispatchKind
    channel: Literal["email", "push"] = "email"
    recipient_ids: list[str] = Field(min_length=1, max_length=500)
    npo_id: str | None = None
    leader_id: str | None = None
    community_id: str | None = None
    candidate_id: str | None = None
    mentor_id: str | None = None
    role: str | None = None


class ForgetUser(Command):
    user_id: str


class MarkNotificationRead(Command):
    user_id: str
    notification_id: str = Field(max_length=64)


def token_digest(token: str) -> str:
    """Feed tokens are kept (in events and views) only as this digest."""
    return hashlib.sha256(token.encode()).hexdigest()


class SchedulingApplication(SpotlightApplication):
    name = "scheduling"

    def _get(self, aggregate_id: UUID, kind: type[TAggregate]) -> TAggregate | None:
        try:
            found: object = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        assert isinstance(found, kind)
        return found

    def availability_of(self, user_ids: Sequence[str]) -> dict[str, WeeklyAvailability]:
        found: dict[str, WeeklyAvailability] = {}
        for user_id in dict.fromkeys(user_ids):
            availability = self._get(availability_id(user_id), Availability)
            if availability is not None and availability.ranges:
                found[user_id] = availability.weekly
        return found

    # -- availability -------------------------------------------------------------

    def set_availability(self, command: SetAvailability) -> CommandResult:
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
            with acting_as(command.actor_id, command.correlation_id):
                current = self._get(availability_id(command.user_id), Availability)
                if current is None:
                    return [Availability.create(command.user_id, weekly)]
                current.change(weekly)
                return [current]

        return self.execute(decide)

    # -- meetings -----------------------------------------------------------------

    def schedule_intro_meeting(self, command: ScheduleIntroMeeting) -> CommandResult:
        """Book (or record as not booked) once per ``request_key``."""
        the_id = meeting_id(command.request_key)

        def decide() -> list[Meeting]:
            if self._get(the_id, Meeting) is not None:
                return []
            users = [u for party in command.parties for u in party]
            with acting_as(command.actor_id, command.correlation_id):
                return [
                    Meeting.request(
                        request_key=command.request_key,
                        kind=command.kind,
                        title=command.title,
                        parties=command.parties,
                        organiser_id=command.organiser_id,
                        availability=self.availability_of(
                            [*users, command.organiser_id]
                        ),
                        trigger=command.trigger_at,
                        duration=timedelta(minutes=command.duration_minutes),
                        context=command.context,
                    )
                ]

        result = self.execute(decide)
        return CommandResult((str(the_id),), result.source, result.position)

    def cancel_meeting(self, command: CancelMeeting) -> CommandResult:
        def decide() -> list[Meeting]:
            meeting = self._get(command.meeting_id, Meeting)
            if meeting is None:
                return []
            if command.only_upcoming and not meeting.is_upcoming(
                command.now or datetime.now(UTC)
            ):
                return []
            with acting_as(command.actor_id, command.correlation_id):
                meeting.cancel(command.reason)
            return [meeting]

        return self.execute(decide)

    # -- series -------------------------------------------------------------------

    def join_series(self, command: JoinSeries) -> CommandResult:
        the_id = series_id(command.series_key)
        duration = timedelta(minutes=command.duration_minutes)

        def decide() -> list[MeetingSeries]:
            with acting_as(command.actor_id, command.correlation_id):
                series = self._get(the_id, MeetingSeries)
                if series is None:
                    series = self._start_series(command, duration)
                    if series is None:
                        return []
                series.join(command.user_ids)
                return [series]

        result = self.execute(decide)
        return CommandResult((str(the_id),), result.source, result.position)

    def _start_series(
        self, command: JoinSeries, duration: timedelta
    ) -> MeetingSeries | None:
        organiser = self.availability_of([command.organiser_id]).get(
            command.organiser_id
        )
        if command.kind == MeetingKind.COMMUNITY:
            rule, local_start, time_zone = plan_monthly_series(
                organiser, command.trigger_at, duration=duration
            )
        else:
            others = [u for u in command.user_ids if u != command.organiser_id]
            available = self.availability_of(others)
            planned = plan_biweekly_series(
                [[organiser] if organiser else [], [*available.values()]],
                organiser.time_zone if organiser else "UTC",
                command.trigger_at,
                duration=duration,
            )
            if planned is None:
                raise ConflictError(
                    "No common slot 1-2 weeks out for the mentoring series."
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

    def leave_series(self, command: LeaveSeries) -> CommandResult:
        def decide() -> list[MeetingSeries]:
            series = self._get(series_id(command.series_key), MeetingSeries)
            if series is None:
                return []
            with acting_as(command.actor_id, command.correlation_id):
                series.leave(command.user_ids)
            return [series]

        return self.execute(decide)

    # -- calendar feeds -------------------------------------------------------------

    def rotate_calendar_token(
        self, command: RotateCalendarToken
    ) -> tuple[str, CommandResult]:
        """A new feed token (shown once); the previous one stops working."""
        token = secrets.token_urlsafe(32)
        digest = token_digest(token)

        def decide() -> list[CalendarFeed]:
            with acting_as(command.actor_id, command.correlation_id):
                feed = self._get(calendar_feed_id(command.user_id), CalendarFeed)
                if feed is None:
                    return [
                        CalendarFeed(
                            id=calendar_feed_id(command.user_id),
                            user_id=command.user_id,
                            token_digest=digest,
                        )
                    ]
                feed.rotate(digest)
                return [feed]

        return token, self.execute(decide)

    def revoke_calendar_token(self, command: RevokeCalendarToken) -> CommandResult:
        def decide() -> list[CalendarFeed]:
            feed = self._get(calendar_feed_id(command.user_id), CalendarFeed)
            if feed is None:
                return []
            with acting_as(command.actor_id, command.correlation_id):
                feed.revoke()
            return [feed]

        return self.execute(decide)

    # -- erasure ----------------------------------------------------------------------

    def forget_user(self, command: ForgetUser) -> CommandResult:
        """Once per user: clear their availability, stop their feed, and tell the
        views to drop what they hold about them."""
        the_id = erasure_id(command.user_id)

        def decide() -> list[Aggregate]:
            if self._get(the_id, Erasure) is not None:
                return []
            changed: list[Aggregate] = []
            with acting_as(command.actor_id, command.correlation_id):
                availability = self._get(availability_id(command.user_id), Availability)
                if availability is not None:
                    availability.change(WeeklyAvailability.of("UTC", ()))
                    changed.append(availability)
                feed = self._get(calendar_feed_id(command.user_id), CalendarFeed)
                if feed is not None:
                    feed.revoke()
                    changed.append(feed)
                changed.append(Erasure(id=the_id, user_id=command.user_id))
            return changed

        return self.execute(decide)

    # -- notifications --------------------------------------------------------------

    def request_dispatch(self, command: RequestDispatch) -> CommandResult:
        the_id = dispatch_id(command.request_key)

        def decide() -> list[Dispatch]:
            if self._get(the_id, Dispatch) is not None:
                return []
            fields = command.model_dump(
                exclude={"actor_id", "correlation_id", "request_key", "kind"}
            )
            with acting_as(command.actor_id, command.correlation_id):
                return [Dispatch(id=the_id, kind=str(command.kind), **fields)]

        result = self.execute(decide)
        return CommandResult((str(the_id),), result.source, result.position)

    def mark_notification_read(self, command: MarkNotificationRead) -> CommandResult:
        """Idempotent: reading twice keeps the first time."""
        the_id = read_receipt_id(command.user_id, command.notification_id)

        def decide() -> list[ReadReceipt]:
            if self._get(the_id, ReadReceipt) is not None:
                return []
            with acting_as(command.actor_id, command.correlation_id):
                return [
                    ReadReceipt(
                        id=the_id,
                        user_id=command.user_id,
                        notification_id=command.notification_id,
                    )
                ]

        return self.execute(decide)
