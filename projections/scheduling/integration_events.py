"""The scheduling context's integration events: what must be sent or booked.

Delivery (email, push, external calendars) is a neighbouring subsystem's. It reads:

- ``spotlight.notifications.requests``: ``scheduling.DispatchRequested`` (a welcome
  introducing the NPO's leader or the candidate's mentor, role-based training for an
  NPO's members, an admin alert for an NPO waiting for a leader, an NPO deleted, a
  roadmap's reminder),
  addressed to user ids (or ``role:ADMIN``), about ids only.
- ``spotlight.scheduling.meetings``: meetings booked (with their attendees and
  times), not booked (no common slot), cancelled; series created (RFC 5545 rule,
  local start and zone) and attendees joining or leaving them.

Every message is keyed by the aggregate id, so one meeting's or series' events stay
in order; consumers dedupe on (source, position, type).
"""

from __future__ import annotations

from typing import ClassVar

from projections.integration_events import IntegrationEventsProjection, Outbound

NOTIFICATION_REQUESTS_TOPIC = "spotlight.notifications.requests"
MEETINGS_TOPIC = "spotlight.scheduling.meetings"
SCHEDULING_INTEGRATION_PROJECTION = "scheduling_integration_events"


# Events are named ``Aggregate.Event`` (classes made by ``@event`` are unknown to
# type checkers); they are those of the aggregates in ``domain/scheduling/``.
class SchedulingIntegrationEvents(IntegrationEventsProjection):
    name = SCHEDULING_INTEGRATION_PROJECTION
    sources: ClassVar[tuple[str, ...]] = ("scheduling",)
    outbound = (
        Outbound(
            "Dispatch.Requested",
            topic=NOTIFICATION_REQUESTS_TOPIC,
            event_type="scheduling.DispatchRequested",
            fields=(
                "kind",
                "channel",
                "recipient_ids",
                "npo_id",
                "leader_id",
                "community_id",
                "candidate_id",
                "mentor_id",
                "role",
            ),
        ),
        Outbound(
            "Meeting.Booked",
            topic=MEETINGS_TOPIC,
            event_type="scheduling.MeetingBooked",
            fields=("kind", "starts_at", "ends_at", "time_zone", "attendee_ids"),
        ),
        Outbound(
            "Meeting.NoCommonSlot",
            topic=MEETINGS_TOPIC,
            event_type="scheduling.MeetingNotBooked",
            fields=("attendee_ids", "missing_availability"),
        ),
        Outbound(
            "Meeting.Cancelled",
            topic=MEETINGS_TOPIC,
            event_type="scheduling.MeetingCancelled",
            fields=("reason",),
        ),
        Outbound(
            "MeetingSeries.Created",
            topic=MEETINGS_TOPIC,
            event_type="scheduling.SeriesCreated",
            fields=(
                "kind",
                "organiser_id",
                "rrule",
                "local_start",
                "time_zone",
                "duration_minutes",
            ),
        ),
        Outbound(
            "MeetingSeries.AttendeesJoined",
            topic=MEETINGS_TOPIC,
            event_type="scheduling.SeriesAttendeesJoined",
            fields=("user_ids",),
        ),
        Outbound(
            "MeetingSeries.AttendeesLeft",
            topic=MEETINGS_TOPIC,
            event_type="scheduling.SeriesAttendeesLeft",
            fields=("user_ids",),
        ),
        Outbound(
            "MeetingSeries.Cancelled",
            topic=MEETINGS_TOPIC,
            event_type="scheduling.SeriesCancelled",
            fields=("reason",),
        ),
    )
