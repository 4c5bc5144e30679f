"""The scheduling context's application: the event log of availability, meetings,
series, calendar feeds, dispatch requests, read receipts and erasures.

Besides the event log it offers handlers what they read of the write model: an
aggregate by id (or None), and the weekly availability of users.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from commands.base import SpotlightApplication
from domain.scheduling.availability import Availability, availability_id
from domain.scheduling.values import WeeklyAvailability

TAggregate = TypeVar("TAggregate", bound=Aggregate)


class SchedulingApplication(SpotlightApplication):
    name = "scheduling"

    def find(self, aggregate_id: UUID, kind: type[TAggregate]) -> TAggregate | None:
        """The aggregate with this id, or None when there is none yet."""
        try:
            found: object = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        assert isinstance(found, kind)
        return found

    def availability_of(self, user_ids: Sequence[str]) -> dict[str, WeeklyAvailability]:
        """The users' weekly availability, for those who entered any."""
        found: dict[str, WeeklyAvailability] = {}
        for user_id in dict.fromkeys(user_ids):
            availability = self.find(availability_id(user_id), Availability)
            if availability is not None and availability.ranges:
                found[user_id] = availability.weekly
        return found
