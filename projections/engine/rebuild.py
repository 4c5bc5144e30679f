"""Rebuilds: a fresh version built beside the live one, then switched to.

Version N+1 gets its own storage (tables, collections and key prefixes carry the
version) and tracking rows, catches up batch by batch while version N keeps serving,
then applies the last events and becomes ``active_version`` in one transaction. The
old version is dropped by whichever runner notices the switch, or here when no runner
of this process runs the projection.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol
from uuid import UUID

from eventsourcing.application import Application

from ports.relational import RelationalStore, SqlSession
from projections.contracts import ProjectedEvent, Projection
from projections.engine.runner import Runner
from projections.engine.status import IDLE, REBUILDING
from projections.engine.tracking import (
    active_version,
    now,
    record_position,
    serialise_schema_changes,
    start_tracking,
    tracked_position,
)


class RebuildHost(Protocol):
    """What a rebuild needs of the engine."""

    store: RelationalStore
    applications: dict[str, Application[UUID]]
    projection_types: dict[str, type[Projection]]
    batch_size: int

    def setup(self) -> None: ...

    def instance(self, name: str, version: int) -> Projection: ...

    def process_next_batch(self, projection: Projection) -> int: ...

    def load_positions(self, session: SqlSession, name: str) -> None: ...

    def runner(self, name: str) -> Runner | None: ...


def rebuild_and_switch(
    engine: RebuildHost,
    name: str,
    on_progress: Callable[[int, int], None] | None = None,
) -> int:
    """Build a fresh version of ``name`` beside the live one, then switch to it.

    ``on_progress(done, total)`` is called after each batch. Returns the new version.
    """
    engine.setup()
    with engine.store.transaction() as session:
        old_version = active_version(session, name)
        row = session.fetchone(
            "SELECT MAX(version) FROM projection_tracking WHERE projection = %s",
            (name,),
        )
        new_version = max(old_version, int(row[0] or 0) if row else 0) + 1
        session.execute(
            "UPDATE projection_state SET building_version = %s, state = %s, "
            "updated_at = %s WHERE projection = %s",
            (new_version, REBUILDING, now(), name),
        )
        serialise_schema_changes(session)
        fresh = engine.instance(name, new_version)
        fresh.drop(session)  # leftovers of an interrupted rebuild
        fresh.setup(session)
        start_tracking(session, name, new_version, fresh.sources)
    sources = engine.projection_types[name].sources
    total = sum(
        engine.applications[s].recorder.max_notification_id() or 0 for s in sources
    )
    done = 0
    while True:
        applied = engine.process_next_batch(fresh)
        done += applied
        if on_progress is not None:
            on_progress(done, max(total, done))
        if not applied:
            break
    with engine.store.transaction() as session:
        # Catch the last events and switch in one transaction.
        for source in sources:
            _process_in_session(engine, session, fresh, source)
        session.execute(
            "UPDATE projection_state SET active_version = %s, "
            "building_version = NULL, state = %s, last_error = NULL, "
            "updated_at = %s WHERE projection = %s",
            (new_version, IDLE, now(), name),
        )
        if engine.runner(name) is None:
            engine.instance(name, old_version).drop(session)
    with engine.store.transaction() as session:
        engine.load_positions(session, name)
    runner = engine.runner(name)
    if runner is not None:
        runner.wake()
    return new_version


def _process_in_session(
    engine: RebuildHost, session: SqlSession, projection: Projection, source: str
) -> None:
    app = engine.applications[source]
    name, version = projection.names.projection, projection.names.version
    while True:
        start = tracked_position(session, name, version, source)
        notifications = app.recorder.select_notifications(
            start=start,
            limit=projection.batch_size or engine.batch_size,
            inclusive_of_start=False,
        )
        if not notifications:
            return
        projection.apply(
            session, [ProjectedEvent(source, n, app.mapper) for n in notifications]
        )
        record_position(
            session,
            name,
            version,
            source,
            expected=start,
            position=notifications[-1].id,
        )
