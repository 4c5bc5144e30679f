"""Read-your-writes: where each projection has got to, and waiting for it.

The engine advances the ``PositionBoard`` after each committed batch; queries wait on
it. On PostgreSQL the engine also ``pg_notify``s the positions channel at commit, so
processes that do not run projections learn positions too
(``adapters.postgres.listen``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

POSITIONS_CHANNEL = "spotlight_positions"


def positions_channel(namespace: str) -> str:
    """The NOTIFY channel for positions of one deployment sharing a database."""
    return f"{POSITIONS_CHANNEL}_{namespace}" if namespace else POSITIONS_CHANNEL


class PositionBoard:
    """Where each projection has got to in each source; queries wait on it."""

    def __init__(self) -> None:
        self._positions: dict[tuple[str, str], int] = {}
        self._changed = threading.Condition()

    def advance(self, projection: str, source: str, position: int) -> None:
        with self._changed:
            key = (projection, source)
            if position > self._positions.get(key, 0):
                self._positions[key] = position
                self._changed.notify_all()

    def position(self, projection: str, source: str) -> int:
        with self._changed:
            return self._positions.get((projection, source), 0)

    def wait_for(
        self,
        source: str,
        position: int,
        projections: Iterable[str],
        timeout_seconds: float,
    ) -> int:
        """Wait until every named projection has reached ``position`` in ``source``.

        Returns 0 when they have, else the largest lag (in events) at the deadline.
        """
        names = list(projections)

        def lag() -> int:
            return max(
                (position - self._positions.get((n, source), 0) for n in names),
                default=0,
            )

        with self._changed:
            self._changed.wait_for(lambda: lag() <= 0, timeout=timeout_seconds)
            return max(lag(), 0)
