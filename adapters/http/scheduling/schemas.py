"""Request and response bodies of the scheduling routes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import available_timezones

from pydantic import BaseModel, Field

from commands.scheduling.messages import AvailabilityRange, FeedTokenIssued
from domain.scheduling.clock import format_clock
from projections.scheduling.meetings import AvailabilityRow
from projections.scheduling.notifications import NotificationRow
from queries.scheduling.meetings import ListedMeeting

# --- Availability --------------------------------------------------------------------


class AvailabilityBody(BaseModel):
    """When you are free each week, in your IANA time zone (replaces the last)."""

    time_zone: str = Field(
        max_length=64,
        examples=["Europe/Berlin"],
        # The names the domain knows (``domain.scheduling.clock.zone``).
        json_schema_extra={"enum": [*sorted(available_timezones())]},
    )
    ranges: list[AvailabilityRange] = Field(
        max_length=50,
        examples=[[{"weekday": 0, "start": "09:00", "end": "12:00"}]],
    )


class Availability(BaseModel):
    time_zone: str
    ranges: list[AvailabilityRange]
    updated_at: str

    @classmethod
    def of(cls, row: AvailabilityRow) -> Availability:
        return cls(
            time_zone=row.time_zone,
            ranges=[
                AvailabilityRange(weekday=d, start=format_clock(s), end=format_clock(e))
                for d, s, e in row.ranges
            ],
            updated_at=row.updated_at,
        )


# --- Meetings ------------------------------------------------------------------------


class Meeting(BaseModel):
    id: str
    kind: str = Field(description="intro, community or mentoring")
    title: str
    status: str
    organiser_id: str
    attendee_ids: list[str]
    starts_at: datetime | None = Field(
        description="The next start (a series: its next occurrence), in UTC."
    )
    ends_at: datetime | None
    duration_minutes: int
    time_zone: str
    rrule: str | None = Field(description="RFC 5545 rule of a recurring series.")
    next_starts: list[datetime]
    context: dict[str, str]

    @classmethod
    def of(cls, listed: ListedMeeting) -> Meeting:
        meeting, starts = listed.meeting, listed.starts_at
        duration = timedelta(minutes=meeting.duration_minutes)
        return cls(
            id=meeting.id,
            kind=meeting.kind,
            title=meeting.title,
            status=meeting.status,
            organiser_id=meeting.organiser_id,
            attendee_ids=list(meeting.attendees),
            starts_at=starts,
            ends_at=starts + duration if starts is not None else None,
            duration_minutes=meeting.duration_minutes,
            time_zone=meeting.time_zone,
            rrule=meeting.rrule,
            next_starts=list(listed.next_starts),
            context=meeting.context,
        )


class MeetingPage(BaseModel):
    items: list[Meeting]
    next_cursor: str | None


# --- Calendar feeds ------------------------------------------------------------------


class FeedToken(BaseModel):
    token: str
    url: str
    webcal_url: str
    consistency_token: str | None

    @classmethod
    def of(cls, issued: FeedTokenIssued, public_base_url: str) -> FeedToken:
        url = f"{public_base_url.rstrip('/')}/calendar/{issued.token}.ics"
        return cls(
            token=issued.token,
            url=url,
            webcal_url="webcal://" + url.split("://", 1)[1],
            consistency_token=issued.result.consistency_token,
        )


# --- Notifications -------------------------------------------------------------------


class Notification(BaseModel):
    id: str
    kind: str
    payload: dict[str, Any]
    created_at: str
    read_at: str | None
    shared: bool

    @classmethod
    def of(cls, row: NotificationRow) -> Notification:
        return cls(
            id=row.id,
            kind=row.kind,
            payload=dict(row.payload),
            created_at=row.created_at,
            read_at=row.read_at,
            shared=row.recipient.startswith("role:"),
        )


class NotificationPage(BaseModel):
    items: list[Notification]
    next_cursor: str | None
