"""What an operator does about a projection that FAILED on an event.

A runner that fails on the same event ``max_attempts`` times records the event's
position (``projection_state.failed_at``) and waits, holding the worker lock. The
operator either fixes the cause (a code change, a backend) and *resumes* it, or
decides the event cannot be projected and *skips* it — the one event named, never a
range, and only while the projection is stopped on it. Both act through
``projection_state``, so they work from any process (``spotlight projections``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ports.relational import SqlSession
from projections.engine.status import FAILED, RESUMING
from projections.engine.tracking import (
    active_version,
    now,
    record_position,
    tracked_position,
)

logger = logging.getLogger(__name__)


class RecoveryRefusedError(Exception):
    """The projection is not stopped on the event named, or not stopped at all."""


@dataclass(frozen=True)
class FailedProjection:
    name: str
    failed_at: str | None
    error: str | None


def failed_projections(session: SqlSession) -> list[FailedProjection]:
    """Every projection stopped on an event (for health checks and alerts)."""
    rows = session.fetchall(
        "SELECT projection, failed_at, last_error FROM projection_state "
        "WHERE state = %s ORDER BY projection",
        (FAILED,),
    )
    return [FailedProjection(str(r[0]), r[1], r[2]) for r in rows]


def request_resume(session: SqlSession, name: str) -> str:
    """Ask the waiting runner of ``name`` to try its failed event again."""
    failed_at = _stopped_on(session, name)
    _set_resuming(session, name)
    logger.warning("projection %s: resume requested at %s", name, failed_at)
    return failed_at


def skip_failed_event(session: SqlSession, name: str, failed_at: str) -> None:
    """Record the failed event as applied without applying it, then resume.

    ``failed_at`` must be the event the projection is stopped on: the view will
    never reflect it, so the operator names it exactly.
    """
    stopped_on = _stopped_on(session, name)
    if stopped_on != failed_at:
        raise RecoveryRefusedError(
            f"{name} is stopped on {stopped_on}, not on {failed_at}"
        )
    source, _, position_text = failed_at.rpartition(":")
    position = int(position_text)
    version = active_version(session, name)
    tracked = tracked_position(session, name, version, source, lock=True)
    if tracked >= position:
        raise RecoveryRefusedError(f"{name} has already passed {failed_at}")
    record_position(session, name, version, source, expected=tracked, position=position)
    _set_resuming(session, name)
    logger.warning("projection %s: event %s skipped by an operator", name, failed_at)


def _stopped_on(session: SqlSession, name: str) -> str:
    row = session.fetchone(
        "SELECT state, failed_at FROM projection_state WHERE projection = %s",
        (name,),
    )
    if row is None or row[0] != FAILED or row[1] is None:
        state = row[0] if row else "never run"
        raise RecoveryRefusedError(f"{name} has not failed (it is {state})")
    return str(row[1])


def _set_resuming(session: SqlSession, name: str) -> None:
    session.execute(
        "UPDATE projection_state SET state = %s, updated_at = %s WHERE projection = %s",
        (RESUMING, now(), name),
    )
