"""A community's leaders, its round-robin pointer and its queue (the seed's rule).

One ``LeaderRoster`` per community: its leaders in joining order, the round-robin
pointer (the leader chosen last), the NPO → leader assignments made in it, and the
FIFO queue of NPOs waiting for a leader. Every assignment in a community changes it,
so two concurrent assignments in one community cannot both succeed: the second is a
stale write and is decided again.

The queue is ordered by when the NPO completed its registration (first completed,
first served), so an NPO whose leader left goes back ahead of NPOs that completed
after it.

Lifecycle: opened with its community; leaders join and leave; NPOs are assigned,
released, queued and dequeued (``domain.onboarding.round_robin`` decides which,
with the machinery leaders and mentors share: ``domain.assignment``).
"""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain.assignment import enqueue, pointer_after_leaving
from domain.base import ConflictError, SpotlightAggregate
from domain.onboarding import values as v


class LeaderRoster(SpotlightAggregate):
    """A community's leaders, round-robin pointer, assignments and waiting queue."""

    @staticmethod
    def id_for(community_id: UUID | str) -> UUID:
        return uuid5(v.ONBOARDING_NAMESPACE, f"roster:{community_id}")

    class Opened(SpotlightAggregate.Created):
        community_id: str

    @event(Opened)
    def __init__(self, *, community_id: str) -> None:
        self.community_id = community_id
        self.leaders: list[str] = []
        self.last_assigned: str | None = None
        # npo id -> leader user id, in assignment order.
        self.assignments: dict[str, str] = {}
        # [npo id, completed at (ISO)], ordered by completion then id.
        self.waiting: list[list[str]] = []

    @classmethod
    def open(cls, community_id: UUID | str) -> LeaderRoster:
        roster: LeaderRoster = cls._create(
            cls.Opened, id=cls.id_for(community_id), community_id=str(community_id)
        )
        return roster

    @property
    def members(self) -> list[str]:
        """The pool's members (``domain.assignment.Pool``): its leaders."""
        return self.leaders

    # -- Leaders --------------------------------------------------------------------

    class LeaderJoined(SpotlightAggregate.Event):
        leader_id: str

    class LeaderLeft(SpotlightAggregate.Event):
        leader_id: str

    def add_leader(self, leader_id: str) -> None:
        if leader_id not in self.leaders:
            self._add_leader(leader_id=leader_id)

    @event(LeaderJoined)
    def _add_leader(self, leader_id: str) -> None:
        self.leaders.append(leader_id)

    def remove_leader(self, leader_id: str) -> None:
        if leader_id not in self.leaders:
            return
        if leader_id in self.assignments.values():
            raise ConflictError("Release the leader's NPOs first.")
        self._remove_leader(leader_id=leader_id)

    @event(LeaderLeft)
    def _remove_leader(self, leader_id: str) -> None:
        # Keep the rotation where it was: the pointer moves to the one before.
        self.last_assigned = pointer_after_leaving(
            self.leaders, self.last_assigned, leader_id
        )
        self.leaders.remove(leader_id)

    # -- Assignments and the queue --------------------------------------------------

    class NpoAssigned(SpotlightAggregate.Event):
        npo_id: str
        leader_id: str

    class NpoReleased(SpotlightAggregate.Event):
        npo_id: str
        leader_id: str

    class NpoQueued(SpotlightAggregate.Event):
        npo_id: str
        since: str

    class NpoDequeued(SpotlightAggregate.Event):
        npo_id: str

    def record_assignment(self, npo_id: str, leader_id: str) -> None:
        if leader_id not in self.leaders:
            raise ConflictError("The leader does not lead this community.")
        self._assign(npo_id=npo_id, leader_id=leader_id)

    @event(NpoAssigned)
    def _assign(self, npo_id: str, leader_id: str) -> None:
        self.assignments[npo_id] = leader_id
        self.last_assigned = leader_id
        self.waiting = [w for w in self.waiting if w[0] != npo_id]

    def release(self, npo_id: str) -> None:
        leader_id = self.assignments.get(npo_id)
        if leader_id is not None:
            self._release(npo_id=npo_id, leader_id=leader_id)

    @event(NpoReleased)
    def _release(self, npo_id: str, leader_id: str) -> None:
        del self.assignments[npo_id]

    def is_waiting(self, npo_id: str) -> bool:
        return any(w[0] == npo_id for w in self.waiting)

    def queue(self, npo_id: str, since: str) -> None:
        if not self.is_waiting(npo_id):
            self._queue(npo_id=npo_id, since=since)

    @event(NpoQueued)
    def _queue(self, npo_id: str, since: str) -> None:
        enqueue(self.waiting, npo_id, since)

    def dequeue(self, npo_id: str) -> None:
        if self.is_waiting(npo_id):
            self._dequeue(npo_id=npo_id)

    @event(NpoDequeued)
    def _dequeue(self, npo_id: str) -> None:
        self.waiting = [w for w in self.waiting if w[0] != npo_id]
