"""What ``status()`` reports: a projection's states and how far it has got."""

from __future__ import annotations

from dataclasses import dataclass

RUNNING = "RUNNING"
IDLE = "IDLE"
STANDBY = "STANDBY"  # another process holds this projection's worker lock
RETRYING = "RETRYING"
FAILED = "FAILED"  # stopped on an event; waits for an operator (resume or skip)
RESUMING = "RESUMING"  # an operator asked a FAILED projection to try again
STOPPED = "STOPPED"
REBUILDING = "REBUILDING"


@dataclass(frozen=True)
class SourceStatus:
    source: str
    position: int
    head: int

    @property
    def lag(self) -> int:
        return max(0, self.head - self.position)


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    version: int
    state: str
    last_error: str | None
    sources: tuple[SourceStatus, ...]
    building_version: int | None = None
    # Whether some process holds the projection's worker lock right now; the
    # recorded state of a process that died stays behind, this does not. None
    # when not asked (``status(probe_workers=False)``).
    has_worker: bool | None = False
    # ``"<source>:<position>"`` of the event a FAILED projection stopped on.
    failed_at: str | None = None
    # How often this process's runner crashed and started over, and the last
    # crash's summary (error type and first line); 0 and None where no runner of
    # this process runs the projection.
    restarts: int = 0
    last_crash: str | None = None

    @property
    def lag(self) -> int:
        return sum(s.lag for s in self.sources)
