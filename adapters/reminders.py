"""The roadmap reminders' timer worker: due timers become ``SendRoadmapReminder``.

It runs where projections run (``Container.start_projections``: the API by default,
``spotlight projections run`` always), unless ``SPOTLIGHT_REMINDERS_ENABLED`` is
false. Every ``reminders_poll_seconds`` it takes the timers due at its clock from
the timers view (``projections.careers.timers``), earliest first, a batch at a time,
and sends each through the dispatcher as the platform (the system actor); a timer
handled leaves the view.

Exactly once: on PostgreSQL a batch's rows stay locked (``FOR UPDATE SKIP
LOCKED``) while their commands run, so several workers share the work; a worker
killed mid-batch leaves its rows to the others once its connection is gone. Sending
a reminder twice is harmless anyway: the roadmap records ``ReminderSent`` once per
(kind, subject, due time), and a timer no longer due records nothing.

The clock is injectable (a callable answering an aware UTC datetime); a process
takes the system's clock plus ``SPOTLIGHT_REMINDERS_CLOCK_OFFSET_SECONDS``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from commands.base import Actor, Command
from commands.careers.messages import SendRoadmapReminder
from domain.base import DomainError
from ports.relational import RelationalStore
from projections.careers.timers import DueTimer, DueTimers

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
SendCommand = Callable[[Command[Any]], Any]


def system_clock(offset_seconds: float = 0.0) -> Clock:
    """Now (UTC), shifted by ``offset_seconds``."""
    offset = timedelta(seconds=offset_seconds)
    return lambda: datetime.now(UTC) + offset


class ReminderWorker:
    """Sends the reminders that fell due, from the timers view."""

    def __init__(
        self,
        views: RelationalStore,
        send: SendCommand,
        clock: Clock,
        *,
        poll_seconds: float = 5.0,
        batch_size: int = 50,
    ) -> None:
        self._views = views
        self._send = send
        self._clock = clock
        self._poll_seconds = poll_seconds
        self._batch_size = batch_size
        self.sent = 0  # commands sent by this worker (each records at most once)

    def run_once(self) -> int:
        """Handle one batch of due timers; answers how many were taken."""
        if self._views.dialect == "postgres":
            # The rows stay locked while their commands run: other workers skip them.
            with self._views.transaction() as session:
                timers = DueTimers.take(session, self._clock(), self._batch_size)
                for timer in timers:
                    self._fire(timer)
                    DueTimers.done(session, timer)
            return len(timers)
        # SQLite: one connection and one writer; the command may need it too.
        with self._views.transaction() as session:
            timers = DueTimers.take(session, self._clock(), self._batch_size)
        for timer in timers:
            self._fire(timer)
            with self._views.transaction() as session:
                DueTimers.done(session, timer)
        return len(timers)

    def run_until_idle(self) -> int:
        """Handle batches until none is full; answers how many timers were taken."""
        taken = 0
        while True:
            batch = self.run_once()
            taken += batch
            if batch < self._batch_size:
                return taken

    def _fire(self, timer: DueTimer) -> None:
        command = SendRoadmapReminder(
            actor=Actor.system(),
            candidate_id=timer.candidate_id,
            kind=timer.kind,
            subject=timer.subject,
            due_at=timer.due_at,
            now=self._clock(),
        )
        try:
            self._send(command)
        except DomainError as error:
            # Refused for good (e.g. the candidate is gone): the timer is dropped;
            # only the kind and the error's type are logged, nothing personal.
            logger.warning(
                "roadmap reminder %s refused: %s", timer.kind, type(error).__name__
            )
        self.sent += 1

    def start(self) -> Callable[[], None]:
        """Run in a daemon thread until the answered function is called."""
        stopping = threading.Event()

        def loop() -> None:
            while not stopping.is_set():
                try:
                    self.run_until_idle()
                except Exception as error:  # noqa: BLE001 - the next poll tries again
                    logger.warning(
                        "roadmap reminders: %s; trying again", type(error).__name__
                    )
                stopping.wait(self._poll_seconds)

        thread = threading.Thread(target=loop, name="roadmap-reminders", daemon=True)
        thread.start()

        def stop() -> None:
            stopping.set()
            thread.join(timeout=10)

        return stop
