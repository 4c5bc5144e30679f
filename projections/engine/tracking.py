"""The engine's own tables: tracked positions and each projection's live version.

``projection_tracking`` holds, per (projection, version, source), the position last
applied; it is written in the same transaction as the batch it records.
``projection_state`` holds each projection's live (and building) version and its
state. DDL runs under a lock so processes starting together do not race.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from ports.relational import RelationalStore, SqlSession
from projections.contracts import ViewNames
from projections.engine.status import IDLE

SCHEMA_LOCK_KEY = 0x5370_6F74  # any constant shared by every process of the service

TRACKING_SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS projection_tracking (
        projection TEXT NOT NULL,
        version INTEGER NOT NULL,
        source TEXT NOT NULL,
        position BIGINT NOT NULL,
        PRIMARY KEY (projection, version, source)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS projection_state (
        projection TEXT PRIMARY KEY,
        active_version INTEGER NOT NULL,
        building_version INTEGER,
        state TEXT NOT NULL,
        last_error TEXT,
        updated_at TEXT NOT NULL,
        failed_at TEXT
    )
    """,
)


class ConcurrentApplierError(Exception):
    """Another applier recorded this batch first; ours was rolled back."""


def now() -> str:
    """The ``updated_at`` of ``projection_state`` rows."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def serialise_schema_changes(session: SqlSession) -> None:
    """Hold a lock until commit so concurrent set-ups do not race on DDL.

    PostgreSQL's ``CREATE TABLE IF NOT EXISTS`` is not safe against a concurrent
    twin (it can fail on a unique index of the catalogue); SQLite has one writer.
    """
    if session.dialect == "postgres":
        session.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK_KEY,))


def ensure_tracking_schema(store: RelationalStore) -> None:
    with store.transaction() as session:
        serialise_schema_changes(session)
        for statement in TRACKING_SCHEMA:
            session.execute(statement)
        _add_failed_at_column(session)


def _add_failed_at_column(session: SqlSession) -> None:
    """``failed_at`` came after the first release: add it to older tables."""
    if session.dialect == "postgres":
        session.execute(
            "ALTER TABLE projection_state ADD COLUMN IF NOT EXISTS failed_at TEXT"
        )
        return
    columns = {
        row[1] for row in session.fetchall("PRAGMA table_info(projection_state)")
    }
    if "failed_at" not in columns:
        session.execute("ALTER TABLE projection_state ADD COLUMN failed_at TEXT")


def tracked_position(
    session: SqlSession,
    projection: str,
    version: int,
    source: str,
    *,
    lock: bool = False,
) -> int:
    """Where a projection's version has got to in a source's log.

    With ``lock`` (PostgreSQL), the row stays locked until commit: a second applier
    waits here and then reads the position the first one recorded, instead of
    applying the same batch again.
    """
    sql = (
        "SELECT position FROM projection_tracking "
        "WHERE projection = %s AND version = %s AND source = %s"
    )
    if lock and session.dialect == "postgres":
        sql += " FOR UPDATE"
    row = session.fetchone(sql, (projection, version, source))
    return int(row[0]) if row else 0


def start_tracking(
    session: SqlSession, projection: str, version: int, sources: Sequence[str]
) -> None:
    """Make the tracking rows exist, so appliers can lock them."""
    for source in sources:
        session.execute(
            "INSERT INTO projection_tracking (projection, version, source, position) "
            "VALUES (%s, %s, %s, 0) ON CONFLICT (projection, version, source) "
            "DO NOTHING",
            (projection, version, source),
        )


def record_position(
    session: SqlSession,
    projection: str,
    version: int,
    source: str,
    *,
    expected: int,
    position: int,
) -> None:
    """Move the tracked position from ``expected`` to ``position``, or refuse.

    The compare-and-set makes a batch apply at most once even if two appliers race
    (e.g. a CLI catch-up beside a worker): the loser's transaction rolls back.
    """
    row = session.fetchone(
        "UPDATE projection_tracking SET position = %s WHERE projection = %s "
        "AND version = %s AND source = %s AND position = %s RETURNING position",
        (position, projection, version, source, expected),
    )
    if row is None and expected == 0:
        # No tracking row yet (set-up not run by this engine): the first one wins.
        row = session.fetchone(
            "INSERT INTO projection_tracking (projection, version, source, position) "
            "VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (projection, version, source) DO NOTHING RETURNING position",
            (projection, version, source, position),
        )
    if row is None:
        raise ConcurrentApplierError(f"{projection} v{version} {source}@{expected}")


def active_version(session: SqlSession, projection: str) -> int:
    """The live version of a projection, created as version 1 on first use."""
    row = session.fetchone(
        "SELECT active_version FROM projection_state WHERE projection = %s",
        (projection,),
    )
    if row:
        return int(row[0])
    session.execute(
        "INSERT INTO projection_state (projection, active_version, state, updated_at) "
        "VALUES (%s, 1, %s, %s) ON CONFLICT (projection) DO NOTHING",
        (projection, IDLE, now()),
    )
    return 1


def live_version(session: SqlSession, projection: str) -> int:
    """The live version of a projection, for readers: version 1 before its first
    run. Reads only, so a query never creates a projection's state."""
    row = session.fetchone(
        "SELECT active_version FROM projection_state WHERE projection = %s",
        (projection,),
    )
    return int(row[0]) if row else 1


def live_names(session: SqlSession, projection: str) -> ViewNames:
    """The storage names of a projection's live version, for readers."""
    return ViewNames(projection, live_version(session, projection))


def is_building(session: SqlSession, projection: str, version: int) -> bool:
    """Whether ``version`` is being rebuilt beside the live one."""
    row = session.fetchone(
        "SELECT building_version FROM projection_state WHERE projection = %s",
        (projection,),
    )
    return bool(row and row[0] == version)
