"""The scheduling process manager: other contexts' events become scheduling commands.

A projection of the identity, onboarding and careers logs (in order, from its
tracked position; never failing a command of theirs), matching events by the end of
their topic (``Aggregate.Event``), so nothing of those contexts is imported. It sends
commands through the dispatch callable ``process_manager_for`` is given, as the
system under the triggering event's correlation id. Each command is idempotent under
a key derived from that event (``<source>:<originator id>:<version>``): a batch
applied again books nothing twice. What it remembers between events (an NPO's
members, meeting and series) sits in its own table, written in the batch's
transaction.

=============================  =====================================================
event (topic suffix)           commands
=============================  =====================================================
``Npo.Registered``             (remembers the creator as the first member)
``Npo.MemberAdded/Removed``    (remembers members); with a leader, the member joins
                               or leaves the community's monthly series
``Npo.LeaderAssigned``         intro meeting [NPO members] + [leader], 1-2 weeks out;
                               members and leader join the community's series;
                               dispatches: welcome (the leader), role training
``Npo.WaitingForLeader``       dispatch: an alert to the admins
``Npo.LeaderUnassigned``       the intro with that leader is cancelled if upcoming
``Npo.Deleted``                the intro is cancelled if upcoming; members leave
                               the series; dispatch: members are told
``Candidate.MentorAssigned``   intro candidate + mentor; biweekly 1:1 series;
                               dispatch: welcome (the mentor)
``Candidate.WaitingForMentor`` dispatch: an alert to the admins
``Candidate.MentorUnassigned`` the candidate leaves the 1:1 series with that mentor
``Roadmap.ReminderSent``       dispatch: the roadmap's reminder (deadline, nudge,
                               approval overdue, feedback form) to its recipient
``User.Erased`` (identity)     forget the user: availability cleared, feed revoked,
                               views drop their rows
=============================  =====================================================

Fields read (the onboarding context's ``domain.onboarding.npo.Npo`` events):
``creator_id``, ``user_id``, ``leader_id``, ``community_id``, ``member_ids``; careers:
``candidate_id`` (else the originator id) and ``mentor_id``; a roadmap's reminder:
``kind``, ``recipient_ids``, ``candidate_id``.

The module is a little over 400 lines on purpose: every reaction shares the NPO
memory and the idempotence keys, and reads best beside the others.
"""

# Table names come from ViewNames (code), never from input; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import astuple, dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import ValidationError

from commands.base import Actor, Command, CommandResult, ConcurrencyConflictError
from commands.scheduling.application import SchedulingApplication
from commands.scheduling.messages import (
    CancelMeeting,
    ForgetUser,
    JoinSeries,
    LeaveSeries,
    RequestDispatch,
    ScheduleIntroMeeting,
)
from domain.base import DomainError
from domain.scheduling.values import DispatchKind, MeetingKind
from ports.correlation import correlated
from ports.relational import SqlSession
from projections.contracts import ProjectedEvent, Projection
from projections.scheduling.notices import ADMINS, ids, one_id

logger = logging.getLogger(__name__)

PROCESS_MANAGER = "scheduling_process"
TRIGGER_SOURCES = ("identity", "onboarding", "careers")

INTRO_TITLE_NPO = "Introduction: your NPO and its community leader"
INTRO_TITLE_MENTOR = "Introduction: you and your career mentor"
COMMUNITY_TITLE = "Monthly community meeting"
MENTORING_TITLE = "Career mentoring 1:1"

# How the process manager sends a command: the composition root's dispatcher.
SendCommand = Callable[[Command[Any]], Any]


def _when(event: Any) -> datetime:
    timestamp = getattr(event, "timestamp", None)
    return timestamp if isinstance(timestamp, datetime) else datetime.now(UTC)


def _actor(item: ProjectedEvent) -> Actor:
    """The platform, under the correlation id of the event that triggered it."""
    return Actor.system(str(getattr(item.event, "correlation_id", "") or "-"))


def _key(item: ProjectedEvent) -> str:
    return f"{item.source}:{item.originator_id}:{item.originator_version}"


@dataclass
class _NpoState:
    npo_id: str
    leader_id: str | None
    meeting_id: str | None
    series_key: str | None
    members: list[str]


class SchedulingProcessManager(Projection):
    """Subclassed by ``process_manager_for`` with its sources and dispatcher."""

    name = PROCESS_MANAGER
    sources: ClassVar[tuple[str, ...]] = ()
    send_command: ClassVar[SendCommand]

    def _send(self, command: Command[Any]) -> Any:
        # Read from the class: a plain function stored there is not a method.
        return type(self).send_command(command)

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
            # Log lines of the reaction carry the trigger's correlation id.
            with correlated(item.correlation_id):
                self._react(session, item, handler)

    def _react(
        self,
        session: SqlSession,
        item: ProjectedEvent,
        handler: Callable[[SchedulingProcessManager, SqlSession, Any], None],
    ) -> None:
        try:
            handler(self, session, item)
        except ConcurrencyConflictError:
            raise  # not a refusal: the projection applies the batch again
        except (DomainError, ValidationError) as error:
            # A rule refused (e.g. no slot for a series, a party too large):
            # the same command would be refused again, so the trigger stays
            # handled; the refusal is logged without personal data.
            logger.warning(
                "scheduling refused %s at %s:%d: %s",
                item.event_name,
                item.source,
                item.position,
                type(error).__name__,
            )

    # -- what it remembers of each NPO ------------------------------------------------

    def _npo_state(self, session: SqlSession, npo: str) -> _NpoState:
        row = session.fetchone(
            f"SELECT leader_id, meeting_id, series_key, member_ids FROM "
            f"{self._table()} WHERE npo_id = %s",
            (npo,),
        )
        if row is None:
            return _NpoState(npo, None, None, None, [])
        leader, meeting, series_key, stored = row
        return _NpoState(npo, leader, meeting, series_key, json.loads(stored))

    def _save(self, session: SqlSession, state: _NpoState) -> None:
        session.execute(
            f"INSERT INTO {self._table()} (npo_id, leader_id, meeting_id, series_key, "
            "member_ids) VALUES (%s, %s, %s, %s, %s) ON CONFLICT (npo_id) DO UPDATE "
            "SET leader_id = excluded.leader_id, meeting_id = excluded.meeting_id, "
            "series_key = excluded.series_key, member_ids = excluded.member_ids",
            (*astuple(state)[:4], json.dumps(state.members)),
        )

    # -- the commands it sends --------------------------------------------------------

    def _request_dispatch(
        self,
        item: ProjectedEvent,
        purpose: str,
        kind: DispatchKind,
        recipients: list[str],
        **about: str | None,
    ) -> None:
        if recipients:
            self._send(
                RequestDispatch(
                    actor=_actor(item),
                    request_key=f"{_key(item)}:{purpose}",
                    kind=kind,
                    recipient_ids=recipients,
                    **about,
                )
            )

    def _intro(
        self,
        item: ProjectedEvent,
        parties: list[list[str]],
        title: str,
        context: dict[str, str],
    ) -> CommandResult:
        """The introduction of the parties; the last party's only user organises."""
        result: CommandResult = self._send(
            ScheduleIntroMeeting(
                actor=_actor(item),
                request_key=_key(item),
                parties=parties,
                organiser_id=parties[-1][0],
                title=title,
                trigger_at=_when(item.event),
                context=context,
            )
        )
        return result

    def _join_community(
        self,
        item: ProjectedEvent,
        state: _NpoState,
        users: list[str],
        context: dict[str, str] | None = None,
    ) -> None:
        assert state.series_key is not None
        assert state.leader_id is not None
        self._send(
            JoinSeries(
                actor=_actor(item),
                series_key=state.series_key,
                kind=MeetingKind.COMMUNITY,
                title=COMMUNITY_TITLE,
                organiser_id=state.leader_id,
                user_ids=users,
                trigger_at=_when(item.event),
                context=context or {},
            )
        )

    def _cancel_intro(self, item: ProjectedEvent, state: _NpoState, why: str) -> None:
        if state.meeting_id:
            self._send(
                CancelMeeting(
                    actor=_actor(item),
                    meeting_id=state.meeting_id,
                    reason=why,
                    only_upcoming=True,
                    now=_when(item.event),
                )
            )

    def _leave_community(
        self, item: ProjectedEvent, state: _NpoState, users: list[str]
    ) -> None:
        if state.series_key and users:
            self._send(
                LeaveSeries(
                    actor=_actor(item), series_key=state.series_key, user_ids=users
                )
            )

    # -- onboarding -------------------------------------------------------------------

    def _npo_registered(self, session: SqlSession, item: ProjectedEvent) -> None:
        state = self._npo_state(session, str(item.originator_id))
        creator = one_id(item.event, "creator_id")
        if creator and creator not in state.members:
            state.members.append(creator)
        self._save(session, state)

    def _member_added(self, session: SqlSession, item: ProjectedEvent) -> None:
        state = self._npo_state(session, str(item.originator_id))
        user = one_id(item.event, "user_id")
        if user is None or user in state.members:
            return
        state.members.append(user)
        self._save(session, state)
        if state.series_key and state.leader_id:
            self._join_community(item, state, [user])

    def _member_removed(self, session: SqlSession, item: ProjectedEvent) -> None:
        state = self._npo_state(session, str(item.originator_id))
        user = one_id(item.event, "user_id")
        if user is None or user not in state.members:
            return
        state.members.remove(user)
        self._save(session, state)
        self._leave_community(item, state, [user])

    def _leader_assigned(self, session: SqlSession, item: ProjectedEvent) -> None:
        e = item.event
        state = self._npo_state(session, str(item.originator_id))
        leader = one_id(e, "leader_id")
        members = ids(e, "member_ids") or state.members
        if leader is None or not members:
            return
        community = one_id(e, "community_id")
        context = {"npo_id": state.npo_id, "leader_id": leader}
        if community:
            context["community_id"] = community
        result = self._intro(item, [members, [leader]], INTRO_TITLE_NPO, context)
        state.leader_id, state.meeting_id = leader, result.ids[0]
        self._request_dispatch(
            item,
            "welcome",
            DispatchKind.WELCOME_LEADER,
            members,
            npo_id=state.npo_id,
            leader_id=leader,
            community_id=community,
        )
        self._request_dispatch(
            item,
            "training",
            DispatchKind.ROLE_TRAINING,
            members,
            npo_id=state.npo_id,
            role="NPO",
        )
        if community:
            state.series_key = f"community:{community}"
            self._join_community(
                item, state, [leader, *members], {"community_id": community}
            )
        self._save(session, state)

    def _npo_waiting(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._request_dispatch(
            item,
            "admin-alert",
            DispatchKind.ADMIN_ALERT_WAITING_NPO,
            [ADMINS],
            npo_id=str(item.originator_id),
            community_id=one_id(item.event, "community_id"),
        )

    def _leader_unassigned(self, session: SqlSession, item: ProjectedEvent) -> None:
        state = self._npo_state(session, str(item.originator_id))
        self._cancel_intro(item, state, "leader_unassigned")
        state.leader_id = state.meeting_id = None
        self._save(session, state)

    def _npo_deleted(self, session: SqlSession, item: ProjectedEvent) -> None:
        state = self._npo_state(session, str(item.originator_id))
        members = ids(item.event, "member_ids") or state.members
        self._cancel_intro(item, state, "npo_deleted")
        self._request_dispatch(
            item, "deleted", DispatchKind.NPO_DELETED, members, npo_id=state.npo_id
        )
        self._leave_community(item, state, members)
        session.execute(
            f"DELETE FROM {self._table()} WHERE npo_id = %s", (state.npo_id,)
        )

    # -- identity ---------------------------------------------------------------------

    def _user_erased(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._send(ForgetUser(actor=_actor(item), user_id=str(item.originator_id)))

    # -- careers ----------------------------------------------------------------------

    def _mentor_assigned(self, session: SqlSession, item: ProjectedEvent) -> None:
        e = item.event
        candidate = one_id(e, "candidate_id") or str(item.originator_id)
        mentor = one_id(e, "mentor_id")
        if mentor is None:
            return
        context = {"candidate_id": candidate, "mentor_id": mentor}
        self._request_dispatch(
            item,
            "welcome",
            DispatchKind.WELCOME_MENTOR,
            [candidate],
            candidate_id=candidate,
            mentor_id=mentor,
        )
        self._intro(item, [[candidate], [mentor]], INTRO_TITLE_MENTOR, context)
        self._send(
            JoinSeries(
                actor=_actor(item),
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

    def _candidate_waiting(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._request_dispatch(
            item,
            "admin-alert",
            DispatchKind.ADMIN_ALERT_WAITING_CANDIDATE,
            [ADMINS],
            candidate_id=str(item.originator_id),
        )

    def _mentor_unassigned(self, session: SqlSession, item: ProjectedEvent) -> None:
        candidate = one_id(item.event, "candidate_id") or str(item.originator_id)
        mentor = one_id(item.event, "mentor_id")
        if mentor is not None:
            self._send(
                LeaveSeries(
                    actor=_actor(item),
                    series_key=f"mentoring:{candidate}:{mentor}",
                    user_ids=[candidate],
                )
            )

    def _roadmap_reminder(self, session: SqlSession, item: ProjectedEvent) -> None:
        e = item.event
        kind = _ROADMAP_REMINDERS.get(str(getattr(e, "kind", "")))
        candidate = one_id(e, "candidate_id")
        recipients = ids(e, "recipient_ids")
        if kind is None or candidate is None:
            return
        mentor = next((r for r in recipients if r != candidate), None)
        self._request_dispatch(
            item,
            "reminder",
            kind,
            recipients,
            candidate_id=candidate,
            mentor_id=mentor,
        )


# A roadmap reminder's kind (``domain.careers.roadmap.ReminderKind``) -> what the
# notification subsystem sends.
_ROADMAP_REMINDERS = {
    "deadline_7d": DispatchKind.ROADMAP_DEADLINE_7D,
    "deadline_1d": DispatchKind.ROADMAP_DEADLINE_1D,
    "nudge": DispatchKind.ROADMAP_NUDGE,
    "approval_overdue": DispatchKind.ROADMAP_APPROVAL_OVERDUE,
    "feedback_form": DispatchKind.ROADMAP_FEEDBACK_FORM,
}


_HANDLERS: dict[str, Callable[[SchedulingProcessManager, SqlSession, Any], None]] = {
    "User.Erased": SchedulingProcessManager._user_erased,
    "Npo.Registered": SchedulingProcessManager._npo_registered,
    "Npo.MemberAdded": SchedulingProcessManager._member_added,
    "Npo.MemberRemoved": SchedulingProcessManager._member_removed,
    "Npo.LeaderAssigned": SchedulingProcessManager._leader_assigned,
    "Npo.WaitingForLeader": SchedulingProcessManager._npo_waiting,
    "Npo.LeaderUnassigned": SchedulingProcessManager._leader_unassigned,
    "Npo.Deleted": SchedulingProcessManager._npo_deleted,
    "Candidate.MentorAssigned": SchedulingProcessManager._mentor_assigned,
    "Candidate.WaitingForMentor": SchedulingProcessManager._candidate_waiting,
    "Candidate.MentorUnassigned": SchedulingProcessManager._mentor_unassigned,
    "Roadmap.ReminderSent": SchedulingProcessManager._roadmap_reminder,
}


def process_manager_for(
    applications: Mapping[str, object], send: SendCommand
) -> list[type[Projection]]:
    """The process manager over the triggering contexts that run here, sending its
    commands through ``send``; none where scheduling or every trigger is absent."""
    sources = tuple(s for s in TRIGGER_SOURCES if s in applications)
    if SchedulingApplication.name not in applications or not sources:
        return []

    class BoundProcessManager(SchedulingProcessManager):
        pass

    BoundProcessManager.sources = sources
    BoundProcessManager.send_command = send
    return [BoundProcessManager]
