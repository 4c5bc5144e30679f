"""What each event notifies: the in-app notices, their recipients and payloads.

Scheduling events (a meeting booked, not booked, cancelled; a series joined or
cancelled) and, when those contexts run in this service, onboarding and careers
events (a leader assigned, an NPO waiting for a leader, an NPO deleted, a mentor
assigned, a candidate waiting for a mentor, a roadmap's reminder). Events are
matched by the end of their topic (``Aggregate.Event``), so nothing of the other
contexts is imported. Payloads hold ids only.

A recipient is a user id, or ``role:ADMIN`` for the admins' shared list. A notice's
id derives from (originator id, version, recipient): stable across rebuilds, so
read receipts keep pointing at the right notice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid5

from projections.contracts import ProjectedEvent

ADMINS = "role:ADMIN"

_NOTIFICATION_IDS = UUID("5f8e0f0c-3b7a-4c1e-8d7e-2a9b6c4d1e30")

# What a notice's payload holds: ids, lists of ids, or nothing.
PayloadValue = str | list[str] | None


def notification_id(originator_id: UUID, version: int, recipient: str) -> str:
    return str(uuid5(_NOTIFICATION_IDS, f"{originator_id}:{version}:{recipient}"))


@dataclass(frozen=True)
class Notice:
    recipients: tuple[str, ...]
    kind: str
    payload: Mapping[str, PayloadValue]


def ids(event: Any, *names: str) -> list[str]:
    """The first attribute of ``names`` present, as a list of id strings."""
    for name in names:
        value = getattr(event, name, None)
        if value is None:
            continue
        if isinstance(value, list | tuple | set | frozenset):
            return [str(v) for v in value]
        return [str(value)]
    return []


def one_id(event: Any, *names: str) -> str | None:
    found = ids(event, *names)
    return found[0] if found else None


# --- What each event notifies ------------------------------------------------------
# Each function answers the notices for one kind of event; ``subjects`` are the
# attendees of meetings and series, and the members of NPOs, seen so far (kept in
# the view, so the notices need no other read model).

Subjects = Callable[[str], list[str]]
Rule = Callable[[ProjectedEvent, Subjects], Iterable[Notice]]


def _meeting_booked(item: ProjectedEvent, subjects: Subjects) -> Iterable[Notice]:
    meeting = str(item.originator_id)
    yield Notice(tuple(subjects(meeting)), "meeting_booked", {"meeting_id": meeting})


def _meeting_not_booked(item: ProjectedEvent, subjects: Subjects) -> Iterable[Notice]:
    meeting = str(item.originator_id)
    payload: dict[str, PayloadValue] = {
        "meeting_id": meeting,
        "missing_availability": ids(item.event, "missing_availability"),
    }
    yield Notice((*subjects(meeting), ADMINS), "meeting_not_booked", payload)


def _meeting_cancelled(item: ProjectedEvent, subjects: Subjects) -> Iterable[Notice]:
    meeting = str(item.originator_id)
    yield Notice(tuple(subjects(meeting)), "meeting_cancelled", {"meeting_id": meeting})


def _series_created(item: ProjectedEvent, subjects: Subjects) -> Iterable[Notice]:
    organiser = ids(item.event, "organiser_id")
    series = str(item.originator_id)
    yield Notice(tuple(organiser), "series_joined", {"series_id": series})


def _series_cancelled(item: ProjectedEvent, subjects: Subjects) -> Iterable[Notice]:
    series = str(item.originator_id)
    yield Notice(tuple(subjects(series)), "series_cancelled", {"series_id": series})


def _series_joined(item: ProjectedEvent, subjects: Subjects) -> Iterable[Notice]:
    series = str(item.originator_id)
    joined = ids(item.event, "user_ids")
    yield Notice(tuple(joined), "series_joined", {"series_id": series})


def _leader_assigned(item: ProjectedEvent, subjects: Subjects) -> Iterable[Notice]:
    npo = str(item.originator_id)
    leader = one_id(item.event, "leader_id")
    members = ids(item.event, "member_ids") or subjects(npo)
    payload = {"npo_id": npo, "leader_id": leader}
    yield Notice(tuple(members), "leader_assigned", payload)
    if leader:
        yield Notice((leader,), "npo_assigned", {"npo_id": npo})


def _npo_waiting(item: ProjectedEvent, subjects: Subjects) -> Iterable[Notice]:
    npo = str(item.originator_id)
    payload = {"npo_id": npo, "community_id": one_id(item.event, "community_id")}
    yield Notice((ADMINS,), "npo_waiting_for_leader", payload)


def _npo_deleted(item: ProjectedEvent, subjects: Subjects) -> Iterable[Notice]:
    npo = str(item.originator_id)
    members = ids(item.event, "member_ids") or subjects(npo)
    yield Notice(tuple(members), "npo_deleted", {"npo_id": npo})


def _mentor_assigned(item: ProjectedEvent, subjects: Subjects) -> Iterable[Notice]:
    candidate = one_id(item.event, "candidate_id") or str(item.originator_id)
    mentor = one_id(item.event, "mentor_id")
    yield Notice(
        (candidate,),
        "mentor_assigned",
        {"candidate_id": candidate, "mentor_id": mentor},
    )
    if mentor:
        yield Notice((mentor,), "candidate_assigned", {"candidate_id": candidate})


def _candidate_waiting(item: ProjectedEvent, subjects: Subjects) -> Iterable[Notice]:
    candidate = str(item.originator_id)
    yield Notice((ADMINS,), "candidate_waiting_for_mentor", {"candidate_id": candidate})


def _roadmap_reminder(item: ProjectedEvent, subjects: Subjects) -> Iterable[Notice]:
    """A roadmap's reminder (``kind``: deadline_7d, deadline_1d, nudge,
    approval_overdue, feedback_form), to whom it was for."""
    e = item.event
    payload: dict[str, PayloadValue] = {
        "candidate_id": one_id(e, "candidate_id"),
        "item_id": one_id(e, "item_id"),
        "due_at": one_id(e, "due_at"),
    }
    kind = one_id(e, "kind")
    yield Notice(tuple(ids(e, "recipient_ids")), f"roadmap_{kind}", payload)


RULES: dict[str, Rule] = {
    "Meeting.Booked": _meeting_booked,
    "Meeting.NoCommonSlot": _meeting_not_booked,
    "Meeting.Cancelled": _meeting_cancelled,
    "MeetingSeries.Created": _series_created,
    "MeetingSeries.AttendeesJoined": _series_joined,
    "MeetingSeries.Cancelled": _series_cancelled,
    # Onboarding: domain.onboarding.npo.Npo (members are remembered from
    # Registered / MemberAdded / MemberRemoved).
    "Npo.LeaderAssigned": _leader_assigned,
    "Npo.WaitingForLeader": _npo_waiting,
    "Npo.Deleted": _npo_deleted,
    # Careers.
    "Candidate.MentorAssigned": _mentor_assigned,
    "Candidate.WaitingForMentor": _candidate_waiting,
    "Roadmap.ReminderSent": _roadmap_reminder,
}
