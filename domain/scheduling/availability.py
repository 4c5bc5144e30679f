"""A user's weekly availability: when they are free each week, in their own zone.

Lifecycle: ``Availability.Set`` the first time the user enters it (one per user: its
id derives from the user id), then ``Availability.Changed`` each time they replace
it with something different. Erasing the user changes it to no ranges at all.
Meetings are booked, and series planned, in the time it covers.
"""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain.base import SpotlightAggregate
from domain.scheduling.values import (
    SCHEDULING_NAMESPACE,
    WeeklyAvailability,
    WeeklyRange,
)


def availability_id(user_id: str) -> UUID:
    return uuid5(SCHEDULING_NAMESPACE, f"availability:{user_id}")


class Availability(SpotlightAggregate):
    """A user's weekly availability (one per user; its id derives from the user)."""

    @event("Set")
    def __init__(
        self, id: UUID, user_id: str, time_zone: str, ranges: list[list[int]]
    ) -> None:
        self.user_id = user_id
        self.time_zone = time_zone
        self.ranges = ranges

    @classmethod
    def create(cls, user_id: str, weekly: WeeklyAvailability) -> Availability:
        return cls(
            id=availability_id(user_id),
            user_id=user_id,
            time_zone=weekly.time_zone,
            ranges=[r.to_state() for r in weekly.ranges],
        )

    @property
    def weekly(self) -> WeeklyAvailability:
        return WeeklyAvailability.of(
            self.time_zone, (WeeklyRange.from_state(r) for r in self.ranges)
        )

    def change(self, weekly: WeeklyAvailability) -> None:
        ranges = [r.to_state() for r in weekly.ranges]
        if weekly.time_zone != self.time_zone or ranges != self.ranges:
            self._change(weekly.time_zone, ranges)

    @event("Changed")
    def _change(self, time_zone: str, ranges: list[list[int]]) -> None:
        self.time_zone = time_zone
        self.ranges = ranges
