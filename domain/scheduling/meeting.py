"""A one-off meeting, booked in the first slot every party shares.

Lifecycle: ``Meeting.Requested`` (once per request key: its id derives from it), at
once followed by either ``Meeting.Booked`` (the first slot 1-2 weeks after the
trigger that every party is free for) or ``Meeting.NoCommonSlot`` (none: the parties
and the admins are told who has not entered their availability). A requested or
booked meeting may then be ``Meeting.Cancelled`` (when the NPO's leader changes or
the NPO is deleted); a cancelled one stays cancelled.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain.base import InvalidFieldError, SpotlightAggregate
from domain.scheduling.slots import find_first_common_slot
from domain.scheduling.values import (
    DEFAULT_INTRO_DURATION,
    DEFAULT_WINDOW_END,
    DEFAULT_WINDOW_START,
    MAX_DURATION_MINUTES,
    SCHEDULING_NAMESPACE,
    MeetingKind,
    MeetingStatus,
    WeeklyAvailability,
    meeting_context,
)
from domain.text import LONG_TEXT, TITLE


def meeting_id(request_key: str) -> UUID:
    """A meeting requested twice under one key is one meeting (idempotent)."""
    return uuid5(SCHEDULING_NAMESPACE, f"meeting:{request_key}")


class Meeting(SpotlightAggregate):
    """A one-off meeting booked in the first common slot (or recorded as not booked).

    ``party_groups`` lists each party's users; every user of every party attends.
    ``context`` holds ids only (the NPO, the community, the candidate...).
    """

    @event("Requested")
    def __init__(
        self,
        *,
        id: UUID,
        kind: str,
        title: str,
        party_groups: list[list[str]],
        organiser_id: str,
        duration_minutes: int,
        window_start: datetime,
        window_end: datetime,
        context: dict[str, str],
    ) -> None:
        self.kind = kind
        self.title = title
        self.party_groups = party_groups
        self.organiser_id = organiser_id
        self.duration_minutes = duration_minutes
        self.window_start = window_start
        self.window_end = window_end
        self.context = context
        self.status = MeetingStatus.REQUESTED
        self.starts_at: datetime | None = None
        self.ends_at: datetime | None = None
        self.time_zone = "UTC"

    @property
    def attendees(self) -> list[str]:
        return list(dict.fromkeys(u for group in self.party_groups for u in group))

    @classmethod
    def request(
        cls,
        *,
        request_key: str,
        kind: MeetingKind,
        title: str,
        parties: Sequence[Sequence[str]],
        organiser_id: str,
        availability: dict[str, WeeklyAvailability],
        trigger: datetime,
        duration: timedelta = DEFAULT_INTRO_DURATION,
        context: dict[str, str] | None = None,
    ) -> Meeting:
        """Book the first slot every party is free in, 1-2 weeks after ``trigger``."""
        groups = [list(dict.fromkeys(str(u) for u in party)) for party in parties]
        if len(groups) < 2 or any(not g for g in groups):
            raise InvalidFieldError("parties", "at least two, none empty")
        minutes = int(duration.total_seconds() // 60)
        if not 5 <= minutes <= MAX_DURATION_MINUTES:
            raise InvalidFieldError("duration_minutes", "5 minutes to 8 hours")
        meeting = cls(
            id=meeting_id(request_key),
            kind=str(kind),
            title=TITLE.required(title, "title"),
            party_groups=groups,
            organiser_id=str(organiser_id),
            duration_minutes=minutes,
            window_start=trigger.astimezone(UTC) + DEFAULT_WINDOW_START,
            window_end=trigger.astimezone(UTC) + DEFAULT_WINDOW_END,
            context=meeting_context(context),
        )
        missing = [u for g in groups for u in g if u not in availability]
        slot = find_first_common_slot(
            [[availability[u] for u in g if u in availability] for g in groups],
            trigger,
            duration=duration,
        )
        if slot is None:
            meeting._not_booked(
                missing_availability=missing, attendee_ids=meeting.attendees
            )
        else:
            organiser = availability.get(meeting.organiser_id)
            meeting._book(
                starts_at=slot.start,
                ends_at=slot.end,
                time_zone=organiser.time_zone if organiser else "UTC",
                kind=meeting.kind,
                attendee_ids=meeting.attendees,
            )
        return meeting

    # ``kind`` and ``attendee_ids`` repeat what ``Requested`` said, so that the
    # integration event of a booking is complete on its own.
    @event("Booked")
    def _book(
        self,
        starts_at: datetime,
        ends_at: datetime,
        time_zone: str,
        kind: str,
        attendee_ids: list[str],
    ) -> None:
        self.status = MeetingStatus.BOOKED
        self.starts_at = starts_at
        self.ends_at = ends_at
        self.time_zone = time_zone

    @event("NoCommonSlot")
    def _not_booked(
        self, missing_availability: list[str], attendee_ids: list[str]
    ) -> None:
        self.status = MeetingStatus.NOT_BOOKED
        self.missing_availability = missing_availability

    def is_upcoming(self, now: datetime) -> bool:
        """Booked and not yet begun, or still waiting for a slot."""
        if self.status == MeetingStatus.BOOKED:
            return self.starts_at is not None and self.starts_at > now
        return self.status == MeetingStatus.REQUESTED

    def cancel(self, reason: str) -> None:
        why = LONG_TEXT.required(reason, "reason")
        if self.status in {MeetingStatus.BOOKED, MeetingStatus.REQUESTED}:
            self._cancel(reason=why)

    @event("Cancelled")
    def _cancel(self, reason: str) -> None:
        self.status = MeetingStatus.CANCELLED
        self.cancel_reason = reason
