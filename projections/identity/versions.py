"""Which version of an identity view is live, remembered for a few seconds.

Every authenticated request reads a user, so its readers must not ask the engine's
state table each time; a rebuild switching versions is noticed within the TTL (or at
once, by ``forget``, when the old table is gone). Read only: a projection the engine
has not set up yet is at version 1.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ports.relational import RelationalStore
from projections.engine import live_version


class LiveVersions:
    def __init__(
        self,
        views: RelationalStore,
        *,
        ttl_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._views = views
        self._ttl = ttl_seconds
        self._clock = clock
        self._versions: dict[str, tuple[int, float]] = {}
        # When a caller that ``known`` sent to ``of`` was sent, by projection.
        self._looking: dict[str, float] = {}
        self._lock = threading.Lock()

    def of(self, projection: str) -> int:
        """The live version of ``projection``."""
        now = self._clock()
        with self._lock:
            cached = self._versions.get(projection)
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            with self._views.transaction() as session:
                version = live_version(session, projection)
        except Exception:  # noqa: BLE001 - before the engine's first run: version 1
            version = 1
        with self._lock:
            self._versions[projection] = (version, now + self._ttl)
            self._looking.pop(projection, None)
        return version

    def known(self, projection: str) -> int | None:
        """The live version of ``projection`` without I/O, or None: then the caller
        asks ``of`` (in a worker thread, on an event loop).

        Once the remembered version is due a look, one caller gets None; the others
        keep the remembered version while that look is under way (for up to the TTL),
        instead of every request of the moment asking the database at once.
        """
        now = self._clock()
        with self._lock:
            cached = self._versions.get(projection)
            if cached is None:
                return None
            version, fresh_until = cached
            if fresh_until > now:
                return version
            if self._looking.get(projection, float("-inf")) + self._ttl > now:
                return version  # another caller is asking ``of``
            self._looking[projection] = now
            return None

    def forget(self, projection: str) -> None:
        with self._lock:
            self._versions.pop(projection, None)
