"""The scheduling context with its views on the embedded stores (or given ones)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from adapters.embedded.bus import InMemoryMessageBus
from adapters.embedded.cache import InMemoryCache
from adapters.embedded.documents import InMemoryDocumentStore
from commands.base import Actor, Command, ResultT, SpotlightApplication
from commands.dispatch import Dispatcher
from commands.scheduling.application import SchedulingApplication
from commands.scheduling.handlers import HANDLERS
from commands.scheduling.messages import AvailabilityRange, SetAvailability
from commands.scheduling.process_manager import process_manager_for
from ports.relational import RelationalStore
from projections.contracts import ViewPorts
from projections.engine import ProjectionEngine
from projections.scheduling.meetings import MeetingsProjection
from projections.scheduling.notifications import notification_projections

ACTOR = Actor(user_id="tester", correlation_id="corr-test")


@dataclass
class SchedulingWorld:
    scheduling: SchedulingApplication
    others: dict[str, SpotlightApplication]
    store: RelationalStore
    dispatcher: Dispatcher = field(init=False)
    engine: ProjectionEngine = field(init=False)
    # What the process manager sent, in order.
    sent: list[Command[Any]] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        apps: dict[str, Any] = {"scheduling": self.scheduling, **self.others}
        self.dispatcher = Dispatcher(apps, [HANDLERS])
        self.engine = ProjectionEngine(
            self.store,
            apps,
            [
                MeetingsProjection,
                *notification_projections(apps),
                *process_manager_for(apps, self._send),
            ],
            ViewPorts(InMemoryDocumentStore(), InMemoryCache(), InMemoryMessageBus()),
            batch_size=50,
        )

    def dispatch(self, command: Command[ResultT]) -> ResultT:
        return self.dispatcher.dispatch(command)

    def _send(self, command: Command[Any]) -> Any:
        self.sent.append(command)
        return self.dispatcher.dispatch(command)

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
        self.dispatch(
            SetAvailability(
                actor=ACTOR,
                user_id=user_id,
                time_zone=time_zone,
                ranges=[
                    AvailabilityRange(weekday=d, start=s, end=e) for d, s, e in ranges
                ],
            )
        )
