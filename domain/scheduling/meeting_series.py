"""A recurring meeting: a community's monthly meeting, a mentor's biweekly 1:1s.

Lifecycle: ``MeetingSeries.Created`` on first use of its series key (its id derives
from it, e.g. ``community:<community id>``), with an RFC 5545 rule, a local start and
the zone it is kept in; the organiser attends from the start. Users then join
(``AttendeesJoined``) and leave (``AttendeesLeft``; the organiser never leaves) any
number of times, until the series is ``Cancelled``; nobody joins a cancelled series.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain.base import ConflictError, InvalidFieldError, SpotlightAggregate
from domain.scheduling.clock import local_to_utc, zone
from domain.scheduling.recurrence import RecurrenceRule
from domain.scheduling.values import (
    MAX_DURATION_MINUTES,
    SCHEDULING_NAMESPACE,
    MeetingKind,
    meeting_context,
)
from domain.text import LONG_TEXT, TITLE


def series_id(series_key: str) -> UUID:
    """E.g. ``community:<community id>``: one monthly series per community."""
    return uuid5(SCHEDULING_NAMESPACE, f"series:{series_key}")


class MeetingSeries(SpotlightAggregate):
    """A recurring meeting kept as an RFC 5545 RRULE in the series' own zone."""

    @event("Created")
    def __init__(
        self,
        *,
        id: UUID,
        kind: str,
        title: str,
        organiser_id: str,
        rrule: str,
        local_start: str,
        time_zone: str,
        duration_minutes: int,
        context: dict[str, str],
    ) -> None:
        self.kind = kind
        self.title = title
        self.organiser_id = organiser_id
        self.rrule = rrule
        self.local_start = local_start
        self.time_zone = time_zone
        self.duration_minutes = duration_minutes
        self.context = context
        self.attendees: list[str] = [organiser_id]
        self.cancelled = False

    @classmethod
    def start(
        cls,
        *,
        series_key: str,
        kind: MeetingKind,
        title: str,
        organiser_id: str,
        rule: RecurrenceRule,
        local_start: datetime,
        time_zone: str,
        duration: timedelta,
        context: dict[str, str] | None = None,
    ) -> MeetingSeries:
        zone(time_zone)
        minutes = int(duration.total_seconds() // 60)
        if not 5 <= minutes <= MAX_DURATION_MINUTES:
            raise InvalidFieldError("duration_minutes", "5 minutes to 8 hours")
        return cls(
            id=series_id(series_key),
            kind=str(kind),
            title=TITLE.required(title, "title"),
            organiser_id=str(organiser_id),
            rrule=str(rule),
            local_start=local_start.replace(
                tzinfo=None, second=0, microsecond=0
            ).isoformat(timespec="minutes"),
            time_zone=time_zone,
            duration_minutes=minutes,
            context=meeting_context(context),
        )

    @property
    def rule(self) -> RecurrenceRule:
        return RecurrenceRule.parse(self.rrule)

    def join(self, user_ids: Iterable[str]) -> None:
        if self.cancelled:
            raise ConflictError("The series is cancelled.")
        new = [
            u
            for u in dict.fromkeys(str(u) for u in user_ids)
            if u not in self.attendees
        ]
        if new:
            self._join(user_ids=new)

    @event("AttendeesJoined")
    def _join(self, user_ids: list[str]) -> None:
        self.attendees = [*self.attendees, *user_ids]

    def leave(self, user_ids: Iterable[str]) -> None:
        gone = [
            u
            for u in dict.fromkeys(str(u) for u in user_ids)
            if u in self.attendees and u != self.organiser_id
        ]
        if gone:
            self._leave(user_ids=gone)

    @event("AttendeesLeft")
    def _leave(self, user_ids: list[str]) -> None:
        self.attendees = [u for u in self.attendees if u not in user_ids]

    def cancel(self, reason: str) -> None:
        why = LONG_TEXT.required(reason, "reason")
        if not self.cancelled:
            self._cancel(reason=why)

    @event("Cancelled")
    def _cancel(self, reason: str) -> None:
        self.cancelled = True


def first_start(local_start: str, time_zone: str) -> datetime:
    """The UTC instant of a series' first occurrence (its local start, in its zone)."""
    local = datetime.fromisoformat(local_start)
    return local_to_utc(local.date(), local.hour * 60 + local.minute, zone(time_zone))
