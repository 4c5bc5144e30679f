"""What the readiness probe checks of every backend."""

from __future__ import annotations

from typing import Protocol


class Pingable(Protocol):
    """Something the readiness probe can check."""

    def ping(self) -> None:
        """Return when the backend answers; raise ``BackendUnavailableError`` if not."""
