"""The platform's mentors, its round-robin pointer and its queue (CM2).

One ``MentorPool`` for the platform (a fixed id): its mentors in joining order, the
round-robin pointer (the mentor chosen last), the candidate → mentor assignments and
the FIFO queue of candidates waiting for a mentor. Every assignment changes it, so
two concurrent assignments cannot both succeed: the second is a stale write and is
decided again. It is the pool of the shared assignment machinery
(``domain.assignment``), as a community's ``LeaderRoster`` is for leaders.

The queue is ordered by when the candidate completed the assessment that asked for a
mentor (first completed, first served), so a candidate whose mentor left goes back
ahead of candidates who completed after them.

Lifecycle: opened on first use; mentors join and leave; candidates are assigned,
released, queued and dequeued (``domain.careers.mentor_assignment`` decides which).
"""

from __future__ import annotations

from uuid import uuid5

from eventsourcing.domain import event

from domain.assignment import enqueue, pointer_after_leaving
from domain.base import ConflictError, SpotlightAggregate
from domain.careers.values import CAREERS_NAMESPACE


class MentorPool(SpotlightAggregate):
    """The mentors, round-robin pointer, assignments and waiting queue."""

    ID = uuid5(CAREERS_NAMESPACE, "mentor-pool")

    class Opened(SpotlightAggregate.Created):
        pass

    @event(Opened)
    def __init__(self) -> None:
        self.members: list[str] = []
        self.last_assigned: str | None = None
        # candidate id -> mentor user id, in assignment order.
        self.assignments: dict[str, str] = {}
        # [candidate id, since (ISO)], ordered by since then id.
        self.waiting: list[list[str]] = []

    @classmethod
    def open(cls) -> MentorPool:
        pool: MentorPool = cls._create(cls.Opened, id=cls.ID)
        return pool

    # -- Mentors --------------------------------------------------------------------

    class MentorJoined(SpotlightAggregate.Event):
        mentor_id: str

    class MentorLeft(SpotlightAggregate.Event):
        mentor_id: str

    def add_mentor(self, mentor_id: str) -> None:
        if mentor_id not in self.members:
            self._add_mentor(mentor_id=mentor_id)

    @event(MentorJoined)
    def _add_mentor(self, mentor_id: str) -> None:
        self.members.append(mentor_id)

    def remove_mentor(self, mentor_id: str) -> None:
        if mentor_id not in self.members:
            return
        if mentor_id in self.assignments.values():
            raise ConflictError("Release the mentor's mentees first.")
        self._remove_mentor(mentor_id=mentor_id)

    @event(MentorLeft)
    def _remove_mentor(self, mentor_id: str) -> None:
        self.last_assigned = pointer_after_leaving(
            self.members, self.last_assigned, mentor_id
        )
        self.members.remove(mentor_id)

    # -- Assignments and the queue --------------------------------------------------

    class CandidateAssigned(SpotlightAggregate.Event):
        candidate_id: str
        mentor_id: str

    class CandidateReleased(SpotlightAggregate.Event):
        candidate_id: str
        mentor_id: str

    class CandidateQueued(SpotlightAggregate.Event):
        candidate_id: str
        since: str

    class CandidateDequeued(SpotlightAggregate.Event):
        candidate_id: str

    def record_assignment(self, subject_id: str, member_id: str) -> None:
        if member_id not in self.members:
            raise ConflictError("The mentor is not in the pool.")
        self._assign(candidate_id=subject_id, mentor_id=member_id)

    @event(CandidateAssigned)
    def _assign(self, candidate_id: str, mentor_id: str) -> None:
        self.assignments[candidate_id] = mentor_id
        self.last_assigned = mentor_id
        self.waiting = [w for w in self.waiting if w[0] != candidate_id]

    def release(self, subject_id: str) -> None:
        mentor_id = self.assignments.get(subject_id)
        if mentor_id is not None:
            self._release(candidate_id=subject_id, mentor_id=mentor_id)

    @event(CandidateReleased)
    def _release(self, candidate_id: str, mentor_id: str) -> None:
        del self.assignments[candidate_id]

    def is_waiting(self, candidate_id: str) -> bool:
        return any(w[0] == candidate_id for w in self.waiting)

    def queue(self, subject_id: str, since: str) -> None:
        if not self.is_waiting(subject_id):
            self._queue(candidate_id=subject_id, since=since)

    @event(CandidateQueued)
    def _queue(self, candidate_id: str, since: str) -> None:
        enqueue(self.waiting, candidate_id, since)

    def dequeue(self, subject_id: str) -> None:
        if self.is_waiting(subject_id):
            self._dequeue(candidate_id=subject_id)

    @event(CandidateDequeued)
    def _dequeue(self, candidate_id: str) -> None:
        self.waiting = [w for w in self.waiting if w[0] != candidate_id]
