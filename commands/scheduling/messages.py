"""The scheduling context's command messages, one ``Command`` subclass per request.

Each names what its handler answers: a ``CommandResult`` (the ids touched, where
the events landed), or for a new feed token the token too (``FeedTokenIssued``).
Requests a process manager may send twice for one trigger carry a key
(``request_key``, ``series_key``) that makes the second one change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from commands.base import Command, CommandResult, JsonInt
from domain.scheduling.values import MAX_RANGES, DispatchKind, MeetingKind

MAX_PARTY_SIZE = 200  # an NPO has at most 200 members


# HH:MM, 00:00 to 23:59 (``domain.scheduling.clock.parse_clock``).
_TIME_OF_DAY = "([01][0-9]|2[0-3]):[0-5][0-9]"


class AvailabilityRange(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    weekday: JsonInt = Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday")
    start: str = Field(max_length=5, pattern=rf"^{_TIME_OF_DAY}$", examples=["09:00"])
    end: str = Field(
        max_length=5, pattern=rf"^({_TIME_OF_DAY}|24:00)$", examples=["17:30"]
    )


class SetAvailability(Command[CommandResult]):
    """Replace the user's weekly availability."""

    user_id: str
    time_zone: str = Field(max_length=64, examples=["Europe/Berlin"])
    ranges: list[AvailabilityRange] = Field(max_length=MAX_RANGES)


class ScheduleIntroMeeting(Command[CommandResult]):
    """Book an introduction in the first slot every party is free, 1-2 weeks out."""

    request_key: str = Field(
        min_length=1,
        max_length=200,
        description="Names the trigger; a second request under it changes nothing.",
    )
    parties: list[list[str]] = Field(min_length=2, max_length=10)
    organiser_id: str
    title: str = Field(description="Checked by the domain (``domain.text.TITLE``).")
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


class CancelMeeting(Command[CommandResult]):
    meeting_id: UUID
    reason: str = Field(description="Checked by the domain (``domain.text``).")
    only_upcoming: bool = Field(
        default=False, description="Leave a meeting that has begun by ``now`` alone."
    )
    now: datetime | None = None


class JoinSeries(Command[CommandResult]):
    """Add users to a recurring series, creating it on first use.

    ``community`` series are monthly (the organiser's first weekly range long
    enough, first such weekday of the month); ``mentoring`` series are every two
    weeks from the first slot organiser and attendees share 1-2 weeks out.
    """

    series_key: str = Field(min_length=1, max_length=200)
    kind: Literal[MeetingKind.COMMUNITY, MeetingKind.MENTORING]
    title: str = Field(description="Checked by the domain (``domain.text.TITLE``).")
    organiser_id: str
    user_ids: list[str] = Field(max_length=500)
    trigger_at: datetime
    duration_minutes: int = Field(default=60, ge=5, le=480)
    context: dict[str, str] = Field(default_factory=dict)


class LeaveSeries(Command[CommandResult]):
    series_key: str
    user_ids: list[str] = Field(max_length=500)


@dataclass(frozen=True)
class FeedTokenIssued:
    """A new calendar feed token (shown once) and where its event landed."""

    token: str = field(repr=False)
    result: CommandResult


class RotateCalendarToken(Command[FeedTokenIssued]):
    """A new feed token for the user; the previous one stops working."""

    user_id: str


class RevokeCalendarToken(Command[CommandResult]):
    user_id: str


class RequestDispatch(Command[CommandResult]):
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


class ForgetUser(Command[CommandResult]):
    """The user was erased: clear their availability, stop their feed, and tell the
    views to drop what they hold about them (once per user)."""

    user_id: str


class MarkNotificationRead(Command[CommandResult]):
    user_id: str
    notification_id: str = Field(max_length=64)
