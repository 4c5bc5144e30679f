"""The projection engine: follows applications' logs and keeps views up to date.

For each projection it reads the logs of its source applications from the tracked
positions in batches, hands each batch to the projection and records the new
position *in the same SQL transaction* as the projection's SQL changes. It then tells
the ``PositionBoard``, which wakes queries waiting to read their own writes.

One module per part: ``engine`` (``ProjectionEngine``, composing the rest),
``tracking`` (its tables), ``runner`` (the apply loop and runner threads),
``rebuild``, ``recovery`` (an operator's resume and skip), ``positions``
(read-your-writes), ``locks`` (one applier per projection across processes) and
``status``. Import the public names from here.
"""

from projections.engine.engine import ProjectionEngine
from projections.engine.locks import LockLostError, ProcessLocalLock, WorkerLock
from projections.engine.positions import (
    POSITIONS_CHANNEL,
    PositionBoard,
    positions_channel,
)
from projections.engine.recovery import FailedProjection, RecoveryRefusedError
from projections.engine.runner import BatchHook
from projections.engine.status import (
    FAILED,
    IDLE,
    REBUILDING,
    RESUMING,
    RETRYING,
    RUNNING,
    STANDBY,
    STOPPED,
    ProjectionStatus,
    SourceStatus,
)
from projections.engine.tracking import (
    SCHEMA_LOCK_KEY,
    ConcurrentApplierError,
    active_version,
    ensure_tracking_schema,
    live_names,
    live_version,
    serialise_schema_changes,
)

__all__ = [
    "FAILED",
    "IDLE",
    "POSITIONS_CHANNEL",
    "REBUILDING",
    "RESUMING",
    "RETRYING",
    "RUNNING",
    "SCHEMA_LOCK_KEY",
    "STANDBY",
    "STOPPED",
    "BatchHook",
    "ConcurrentApplierError",
    "FailedProjection",
    "LockLostError",
    "PositionBoard",
    "ProcessLocalLock",
    "ProjectionEngine",
    "ProjectionStatus",
    "RecoveryRefusedError",
    "SourceStatus",
    "WorkerLock",
    "active_version",
    "ensure_tracking_schema",
    "live_names",
    "live_version",
    "positions_channel",
    "serialise_schema_changes",
]
