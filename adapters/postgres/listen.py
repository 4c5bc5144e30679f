"""LISTEN/NOTIFY: wake the engine on new events, learn positions of other workers."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

import psycopg
from psycopg import sql

from projections.engine import PositionBoard, positions_channel

logger = logging.getLogger(__name__)


class PostgresNotificationListener(threading.Thread):
    """Listens on each application's events channel and on the positions channel
    of its namespace.

    eventsourcing's PostgreSQL recorder sends ``NOTIFY <events table>`` with every
    insert; the engine sends positions on ``spotlight_positions`` at commit.
    """

    def __init__(
        self,
        url: str,
        event_channels: Sequence[str],
        on_new_events: Callable[[], None],
        board: PositionBoard | None,
        namespace: str = "",
    ) -> None:
        super().__init__(name="postgres-listener", daemon=True)
        self._url = url
        self._event_channels = list(event_channels)
        self._on_new_events = on_new_events
        self._board = board
        self._positions_channel = positions_channel(namespace)
        self._stopping = threading.Event()
        self.listening = threading.Event()

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._listen()
            except psycopg.Error:
                logger.warning("LISTEN connection lost; reconnecting")
                self.listening.clear()
                self._stopping.wait(1.0)

    def _listen(self) -> None:
        with psycopg.connect(self._url, autocommit=True, connect_timeout=5) as conn:
            for channel in [*self._event_channels, self._positions_channel]:
                conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
            self.listening.set()
            # Something may have happened while we were not listening.
            self._on_new_events()
            while not self._stopping.is_set():
                for notice in conn.notifies(timeout=0.5):
                    if notice.channel == self._positions_channel:
                        self._advance(notice.payload)
                    else:
                        self._on_new_events()

    def _advance(self, payload: str) -> None:
        if self._board is None:
            return
        try:
            name, _version, source, position = payload.split("|")
            self._board.advance(name, source, int(position))
        except ValueError:
            logger.warning("ignoring malformed position notice")
