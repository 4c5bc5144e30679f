"""The scheduling context with its views on the embedded stores (or given ones)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from adapters.embedded.bus import InMemoryMessageBus
from adapters.embedded.cache import InMemoryCache
from adapters.embedded.documents import InMemoryDocumentStore
from commands.base import SpotlightApplication
from commands.scheduling import (
    AvailabilityRange,
    SchedulingApplication,
    SetAvailability,
)
from commands.scheduling_process import process_manager_for
from ports.relational import RelationalStore
from projections.contracts import ViewPorts
from projections.engine import ProjectionEngine
from projections.notifications import notification_projections
from projections.scheduling import MeetingsProjection

ACTING = {"actor_id": "tester", "correlation_id": "corr-test"}


@dataclass
class SchedulingWorld:
    scheduling: SchedulingApplication
    others: dict[str, SpotlightApplication]
    store: RelationalStore
    engine: ProjectionEngine = field(init=False)

    def __post_init__(self) -> None:
        apps: dict[str, Any] = {"scheduling": self.scheduling, **self.others}
        self.engine = ProjectionEngine(
            self.store,
            apps,
            [
                MeetingsProjection,
                *notification_projections(apps),
                *process_manager_for(apps),
            ],
            ViewPorts(InMemoryDocumentStore(), InMemoryCache(), InMemoryMessageBus()),
            batch_size=50,
        )

    def settle(self) -> None:
        """Run projections (and the process manager's commands) until quiet."""
        while self.engine.catch_up():
            pass

    def free(
        self,
        user_id: str,
        time_zone: str,
        ranges: Sequence[tuple[int, str, str]],
    ) -> None:
        self.scheduling.set_availability(
            SetAvailability(
                **ACTING,
                user_id=user_id,
                time_zone=time_zone,
                ranges=[
                    AvailabilityRange(weekday=d, start=s, end=e) for d, s, e in ranges
                ],
            )
        )
