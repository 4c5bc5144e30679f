"""The live reports: work lists and lags as they are now, read from the views.

- ``waiting-queues``: per queue, how many wait now and the longest wait so far (in
  hours, where the views know when it began): NPOs waiting for a leader, NPOs
  assigned and awaiting their leader's verification, verified NPOs awaiting an
  admin's approval, candidates waiting for a mentor, and (for a mentor) their
  mentees' items awaiting approval. A leader sees the leader queue of the
  communities they lead and the NPOs awaiting their own verification; a mentor
  their mentees' items; admins every queue but the mentors' items.
- ``projection-lag``: per projection, its state, how many events it has not
  applied and how old the oldest of them is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from domain.onboarding.npo import VerificationStatus
from ports.relational import RelationalStore
from projections.careers.mentors import MentorsReader
from projections.careers.roadmaps import RoadmapsReader
from projections.engine.status import ProjectionStatus
from projections.onboarding.npo_reader import NpoSelection
from queries.reports.catalogue import Narrowing
from queries.reports.scope import Scope, npos_of

Row = dict[str, object]


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _hours(since: Sequence[str | None], now: datetime) -> float | None:
    known = [_instant(s) for s in since if s]
    if not known:
        return None
    return round((now - min(known)).total_seconds() / 3600, 2)


def _queue(name: str, since: Sequence[str | None], now: datetime) -> Row:
    return {
        "queue": name,
        "waiting": len(since),
        "oldest_waiting_hours": _hours(since, now),
    }


def waiting_queues(
    views: RelationalStore, scope: Scope, user_id: str, now: datetime
) -> list[Row]:
    rows: list[Row] = []
    leads = Narrowing.LED_COMMUNITIES in scope.narrowings
    if scope.everything or leads:
        waiting = [
            n
            for n in npos_of(views, NpoSelection(alive=True, waiting=True))
            if scope.everything or n.waiting_in in scope.community_ids
        ]
        rows.append(
            _queue("npos-waiting-for-leader", [n.waiting_since for n in waiting], now)
        )
        unverified = npos_of(
            views,
            NpoSelection(
                alive=True,
                verification=VerificationStatus.UNVERIFIED,
                leader=None if scope.everything else user_id,
            ),
        )
        assigned = [n for n in unverified if n.leader_id is not None]
        rows.append(
            _queue(
                "npos-awaiting-verification",
                [n.leader_assigned_at for n in assigned],
                now,
            )
        )
    if scope.everything:
        verified = npos_of(
            views,
            NpoSelection(
                alive=True, verification=VerificationStatus.VERIFIED, approved=False
            ),
        )
        rows.append(
            {
                "queue": "npos-awaiting-approval",
                "waiting": len(verified),
                "oldest_waiting_hours": None,
            }
        )
        queue = MentorsReader(views).queue()
        rows.append(
            _queue("candidates-waiting-for-mentor", [w.since for w in queue], now)
        )
    if Narrowing.MENTEES in scope.narrowings:
        summaries = RoadmapsReader(views).summaries(list(scope.candidate_ids))
        rows.append(
            {
                "queue": "items-awaiting-approval",
                "waiting": sum(len(s.awaiting_approval) for s in summaries.values()),
                "oldest_waiting_hours": None,
            }
        )
    return rows


def projection_lag(
    statuses: Sequence[ProjectionStatus],
    age_of: Callable[[str, int], float | None],
) -> list[Row]:
    """``age_of(source, position)``: how many seconds ago the event after
    ``position`` of ``source`` was recorded (None if there is none)."""
    rows: list[Row] = []
    for status in sorted(statuses, key=lambda s: s.name):
        ages = [
            age
            for source in status.sources
            if source.lag
            and (age := age_of(source.source, source.position)) is not None
        ]
        rows.append(
            {
                "projection": status.name,
                "state": status.state,
                "lag_events": status.lag,
                "lag_seconds": round(max(ages), 3) if ages else 0.0,
            }
        )
    return rows
