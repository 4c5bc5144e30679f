"""LISTEN/NOTIFY: wake the engine on new events, learn positions of other workers."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence

import psycopg
from psycopg import sql

from projections.diagnostics import error_summary
from projections.engine import PositionBoard, positions_channel

logger = logging.getLogger(__name__)

# Reconnecting backs off from the first delay, doubling up to the cap: a restarted
# PostgreSQL is heard again within seconds, a long outage costs one try per cap.
FIRST_RECONNECT_DELAY_SECONDS = 0.5
MAX_RECONNECT_DELAY_SECONDS = 5.0


class PostgresNotificationListener(threading.Thread):
    """Listens on each application's events channel and on the positions channel
    of its namespace.

    eventsourcing's PostgreSQL recorder sends ``NOTIFY <events table>`` with every
    insert; the engine sends positions on ``spotlight_positions`` at commit.

    It reconnects whenever the connection is lost, and nothing else ends it but
    ``stop()``: any error (a callback's included) is logged in one line and the
    thread listens again after a capped back-off.
    """

    def __init__(
        self,
        url: str,
        event_channels: Sequence[str],
        on_new_events: Callable[[], None],
        board: PositionBoard | None,
        *,
        namespace: str = "",
        wakers: Mapping[str, Callable[[], None]] | None = None,
    ) -> None:
        super().__init__(name="postgres-listener", daemon=True)
        self._url = url
        self._event_channels = list(event_channels)
        self._on_new_events = on_new_events
        # A channel's own callback, if it has one (else ``on_new_events``).
        self._wakers = dict(wakers or {})
        self._board = board
        self._positions_channel = positions_channel(namespace)
        self._stopping = threading.Event()
        self.listening = threading.Event()
        # Failures in a row; a connection that got to listen resets it.
        self._failures = 0

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._listen()
            except Exception as error:  # noqa: BLE001 - logged; listens again
                self.listening.clear()
                self._failures += 1
                delay = self.reconnect_delay(self._failures)
                if isinstance(error, psycopg.Error):
                    logger.warning(
                        "LISTEN connection lost (%s); reconnecting in %.1f s",
                        type(error).__name__,
                        delay,
                    )
                else:
                    logger.error(
                        "LISTEN loop failed (%s); listening again in %.1f s",
                        error_summary(error),
                        delay,
                    )
                self._stopping.wait(delay)

    @staticmethod
    def reconnect_delay(failures: int) -> float:
        """The wait before trying again after ``failures`` failures in a row."""
        exponent = min(max(failures - 1, 0), 30)
        return float(
            min(
                FIRST_RECONNECT_DELAY_SECONDS * 2**exponent, MAX_RECONNECT_DELAY_SECONDS
            )
        )

    def _listen(self) -> None:
        with psycopg.connect(
            self._url,
            autocommit=True,
            connect_timeout=5,
            # An idle listener notices a dead peer by TCP keepalives.
            keepalives=1,
            keepalives_idle=5,
            keepalives_interval=2,
            keepalives_count=3,
        ) as conn:
            for channel in [*self._event_channels, self._positions_channel]:
                conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
            self.listening.set()
            self._failures = 0
            # Something may have happened while we were not listening.
            self._on_new_events()
            while not self._stopping.is_set():
                for notice in conn.notifies(timeout=0.5):
                    if notice.channel == self._positions_channel:
                        self._advance(notice.payload)
                    else:
                        self._wakers.get(notice.channel, self._on_new_events)()

    def _advance(self, payload: str) -> None:
        if self._board is None:
            return
        try:
            name, _version, source, position = payload.split("|")
            self._board.advance(name, source, int(position))
        except ValueError:
            logger.warning("ignoring malformed position notice")
