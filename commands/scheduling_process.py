"""The scheduling process manager: other contexts' events become scheduling commands.

It runs in the projection engine like any projection, so it follows the onboarding
(and careers) logs in order from its tracked position, and never makes a command of
another context fail. Events are matched by the end of their topic
(``Aggregate.Event``), so nothing of those contexts is imported.

Exactly once in effect: each command is idempotent under a key derived from the
triggering event (``<source>:<originator id>:<version>``), so a batch applied again
after a crash books nothing twice. What it must remember between events (which
meeting and series an NPO's people were put in) sits in its own table, written in the
batch's transaction.

=========================  =========================================================
event (topic suffix)       commands
=========================  =========================================================
``Npo.LeaderAssigned``     intro meeting: [NPO members] + [leader], 1-2 weeks out;
                           members and leader join the community's monthly series
``Npo.MembersChanged``     (when an NPO has a leader) joiners join / leavers leave
``Npo.Deleted``            the NPO's intro meeting is cancelled; members leave series
``Candidate.MentorAssigned``  intro meeting candidate + mentor; biweekly 1:1 series
=========================  =========================================================

Fields read from the events (the first present wins): leader ``leader_id``; members
``member_ids`` | ``members``; community ``community_id``; candidate ``candidate_id``
(else the originator id); mentor ``mentor_id``; joined ``added_member_ids``; left
``removed_member_ids``.
"""

# Table names come from ViewNames (code), never from input; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from eventsourcing.application import Application

from commands.scheduling import (
    CancelMeeting,
    JoinSeries,
    LeaveSeries,
    ScheduleIntroMeeting,
    SchedulingApplication,
)
from domain.base import SYSTEM_ACTOR
from domain.scheduling import MeetingKind, SchedulingError
from projections.views import ProjectedEvent, Projection, SqlSession

logger = logging.getLogger(__name__)

PROCESS_MANAGER = "scheduling_process"
TRIGGER_SOURCES = ("onboarding", "careers")

INTRO_TITLE_NPO = "Introduction: your NPO and its community leader"
INTRO_TITLE_MENTOR = "Introduction: you and your career mentor"
COMMUNITY_TITLE = "Monthly community meeting"
MENTORING_TITLE = "Career mentoring 1:1"


def _ids(event: Any, *names: str) -> list[str]:
    for name in names:
        value = getattr(event, name, None)
        if value is None:
            continue
        if isinstance(value, list | tuple | set | frozenset):
            return [str(v) for v in value]
        return [str(value)]
    return []


def _one(event: Any, *names: str) -> str | None:
    found = _ids(event, *names)
    return found[0] if found else None


def _when(event: Any) -> datetime:
    timestamp = getattr(event, "timestamp", None)
    return timestamp if isinstance(timestamp, datetime) else datetime.now(UTC)


class SchedulingProcessManager(Projection):
    """Subclassed by ``process_manager_for`` with the application to command."""

    name = PROCESS_MANAGER
    sources: ClassVar[tuple[str, ...]] = ()
    scheduling: ClassVar[SchedulingApplication]

    def _table(self) -> str:
        return self.names.table("scheduling_process_npos")

    def setup(self, session: SqlSession) -> None:
        session.execute(
            f"CREATE TABLE IF NOT EXISTS {self._table()} ("
            "npo_id TEXT PRIMARY KEY, leader_id TEXT, meeting_id TEXT, "
            "series_key TEXT, member_ids TEXT NOT NULL)"
        )

    def drop(self, session: SqlSession) -> None:
        session.execute(f"DROP TABLE IF EXISTS {self._table()}")

    def apply(self, session: SqlSession, events: Sequence[ProjectedEvent]) -> None:
        for item in events:
            handler = _HANDLERS.get(item.topic.rpartition(":")[2])
            if handler is None:
                continue
            try:
                handler(self, session, item)
            except SchedulingError as error:
                # A rule refused (e.g. no slot for a series): the trigger stays
                # handled; the refusal is logged without personal data.
                logger.warning(
                    "scheduling refused %s at %s:%d: %s",
                    item.event_name,
                    item.source,
                    item.position,
                    type(error).__name__,
                )

    # -- helpers ------------------------------------------------------------------

    @staticmethod
    def _key(item: ProjectedEvent) -> str:
        return f"{item.source}:{item.originator_id}:{item.originator_version}"

    @staticmethod
    def _acting(item: ProjectedEvent) -> dict[str, str]:
        correlation = str(getattr(item.event, "correlation_id", "") or "-")
        return {"actor_id": SYSTEM_ACTOR, "correlation_id": correlation}

    def _npo_row(self, session: SqlSession, npo_id: str) -> tuple[Any, ...] | None:
        return session.fetchone(
            f"SELECT leader_id, meeting_id, series_key, member_ids FROM "
            f"{self._table()} WHERE npo_id = %s",
            (npo_id,),
        )

    def _remember(
        self,
        session: SqlSession,
        npo_id: str,
        *,
        leader_id: str | None,
        meeting: str | None,
        series_key: str | None,
        members: list[str],
    ) -> None:
        session.execute(
            f"INSERT INTO {self._table()} (npo_id, leader_id, meeting_id, series_key, "
            "member_ids) VALUES (%s, %s, %s, %s, %s) ON CONFLICT (npo_id) DO UPDATE "
            "SET leader_id = excluded.leader_id, meeting_id = excluded.meeting_id, "
            "series_key = excluded.series_key, member_ids = excluded.member_ids",
            (npo_id, leader_id, meeting, series_key, json.dumps(members)),
        )

    # -- onboarding ---------------------------------------------------------------

    def _leader_assigned(self, session: SqlSession, item: ProjectedEvent) -> None:
        e = item.event
        npo = str(item.originator_id)
        leader = _one(e, "leader_id")
        members = _ids(e, "member_ids", "members")
        if leader is None or not members:
            return
        community = _one(e, "community_id")
        context = {"npo_id": npo, "leader_id": leader}
        result = self.scheduling.schedule_intro_meeting(
            ScheduleIntroMeeting(
                **self._acting(item),
                request_key=self._key(item),
                parties=[members, [leader]],
                organiser_id=leader,
                title=INTRO_TITLE_NPO,
                trigger_at=_when(e),
                context=context,
            )
        )
        series_key = f"community:{community}" if community else None
        if series_key is not None:
            self.scheduling.join_series(
                JoinSeries(
                    **self._acting(item),
                    series_key=series_key,
                    kind=MeetingKind.COMMUNITY,
                    title=COMMUNITY_TITLE,
                    organiser_id=leader,
                    user_ids=[leader, *members],
                    trigger_at=_when(e),
                    context={"community_id": str(community)},
                )
            )
        self._remember(
            session,
            npo,
            leader_id=leader,
            meeting=result.ids[0],
            series_key=series_key,
            members=members,
        )

    def _members_changed(self, session: SqlSession, item: ProjectedEvent) -> None:
        e = item.event
        npo = str(item.originator_id)
        row = self._npo_row(session, npo)
        if row is None:
            return  # no leader yet: the intro and series come with the leader
        leader, meeting, series_key, stored = row
        members: list[str] = json.loads(stored)
        joined = [m for m in _ids(e, "added_member_ids") if m not in members]
        left = [m for m in _ids(e, "removed_member_ids") if m in members]
        if series_key and joined:
            self.scheduling.join_series(
                JoinSeries(
                    **self._acting(item),
                    series_key=series_key,
                    kind=MeetingKind.COMMUNITY,
                    title=COMMUNITY_TITLE,
                    organiser_id=str(leader),
                    user_ids=joined,
                    trigger_at=_when(e),
                )
            )
        if series_key and left:
            self.scheduling.leave_series(
                LeaveSeries(**self._acting(item), series_key=series_key, user_ids=left)
            )
        members = [m for m in [*members, *joined] if m not in left]
        self._remember(
            session,
            npo,
            leader_id=leader,
            meeting=meeting,
            series_key=series_key,
            members=members,
        )

    def _npo_deleted(self, session: SqlSession, item: ProjectedEvent) -> None:
        npo = str(item.originator_id)
        row = self._npo_row(session, npo)
        if row is None:
            return
        _, meeting, series_key, stored = row
        if meeting:
            self.scheduling.cancel_meeting(
                CancelMeeting(
                    **self._acting(item), meeting_id=meeting, reason="npo_deleted"
                )
            )
        if series_key:
            self.scheduling.leave_series(
                LeaveSeries(
                    **self._acting(item),
                    series_key=series_key,
                    user_ids=json.loads(stored),
                )
            )
        session.execute(f"DELETE FROM {self._table()} WHERE npo_id = %s", (npo,))

    # -- careers ------------------------------------------------------------------

    def _mentor_assigned(self, session: SqlSession, item: ProjectedEvent) -> None:
        e = item.event
        candidate = _one(e, "candidate_id") or str(item.originator_id)
        mentor = _one(e, "mentor_id")
        if mentor is None:
            return
        context = {"candidate_id": candidate, "mentor_id": mentor}
        self.scheduling.schedule_intro_meeting(
            ScheduleIntroMeeting(
                **self._acting(item),
                request_key=self._key(item),
                parties=[[candidate], [mentor]],
                organiser_id=mentor,
                title=INTRO_TITLE_MENTOR,
                trigger_at=_when(e),
                context=context,
            )
        )
        self.scheduling.join_series(
            JoinSeries(
                **self._acting(item),
                series_key=f"mentoring:{candidate}:{mentor}",
                kind=MeetingKind.MENTORING,
                title=MENTORING_TITLE,
                organiser_id=mentor,
                user_ids=[candidate],
                trigger_at=_when(e),
                duration_minutes=30,
                context=context,
            )
        )


_HANDLERS: dict[str, Callable[[SchedulingProcessManager, SqlSession, Any], None]] = {
    "Npo.LeaderAssigned": SchedulingProcessManager._leader_assigned,
    "Npo.MembersChanged": SchedulingProcessManager._members_changed,
    "Npo.Deleted": SchedulingProcessManager._npo_deleted,
    "Candidate.MentorAssigned": SchedulingProcessManager._mentor_assigned,
}


def process_manager_for(
    applications: Mapping[str, Application[Any]],
) -> list[type[Projection]]:
    """The process manager over the triggering contexts that run here (none: no
    process manager), commanding this container's scheduling application."""
    scheduling = applications.get(SchedulingApplication.name)
    sources = tuple(s for s in TRIGGER_SOURCES if s in applications)
    if not isinstance(scheduling, SchedulingApplication) or not sources:
        return []

    class BoundProcessManager(SchedulingProcessManager):
        pass

    BoundProcessManager.sources = sources
    BoundProcessManager.scheduling = scheduling
    return [BoundProcessManager]
