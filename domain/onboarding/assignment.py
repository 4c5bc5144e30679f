"""Assigning community leaders to NPOs (CL5, and the seed's round-robin rule).

Two aggregates decide, and a command saves both (with the NPO) in one transaction:

- ``LeaderRoster``, one per community: the community's leaders in joining order, the
  round-robin pointer (the leader chosen last), and the FIFO queue of NPOs waiting
  for a leader. Every assignment in a community changes it, so two concurrent
  assignments in a community cannot both succeed: the second is a stale write and is
  decided again.
- ``Leader``, one per leader: their communities (capped, CL5), their own NPO cap if
  an admin set one (else the platform default), and the NPOs assigned to them in any
  community. ``Leader.take`` refuses an NPO beyond the cap, and every assignment to a
  leader changes it, so the cap holds across communities and processes.

``pick_leader`` is the pure round-robin rule: starting after the pointer, the first
leader of the community who is under their cap. The queue is ordered by when the NPO
completed its registration (first completed, first served), so an NPO whose leader
left goes back ahead of NPOs that completed after it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain.base import ConflictError, InvalidFieldError, SpotlightAggregate
from domain.onboarding import values as v
from domain.onboarding.errors import CapReachedError
from domain.onboarding.npo import Npo
from domain.onboarding.platform import MAX_CAP, ONBOARDING_NAMESPACE


class Leader(SpotlightAggregate):
    """A community leader's communities, cap and assigned NPOs."""

    @staticmethod
    def id_for(user_id: str) -> UUID:
        return uuid5(ONBOARDING_NAMESPACE, f"leader:{user_id}")

    class Enrolled(SpotlightAggregate.Created):
        user_id: str

    @event(Enrolled)
    def __init__(self, *, user_id: str) -> None:
        self.user_id = user_id
        self.npo_cap: int | None = None
        self.communities: list[str] = []
        # npo id -> community id, in assignment order.
        self.npos: dict[str, str] = {}

    @classmethod
    def enrol(cls, user_id: str, user_roles: Iterable[str]) -> Leader:
        if v.ROLE_COMMUNITY_LEADER not in set(user_roles):
            raise InvalidFieldError(
                "user_id", "the user does not hold the COMMUNITY_LEADER role"
            )
        leader: Leader = cls._create(
            cls.Enrolled, id=cls.id_for(user_id), user_id=user_id
        )
        return leader

    def effective_cap(self, default_cap: int) -> int:
        return self.npo_cap if self.npo_cap is not None else default_cap

    def spare(self, default_cap: int) -> int:
        return max(0, self.effective_cap(default_cap) - len(self.npos))

    class JoinedCommunity(SpotlightAggregate.Event):
        community_id: str

    class LeftCommunity(SpotlightAggregate.Event):
        community_id: str

    def join(self, community_id: str, communities_cap: int) -> None:
        if community_id in self.communities:
            return
        if len(self.communities) >= communities_cap:
            raise CapReachedError(
                f"A leader leads at most {communities_cap} communities."
            )
        self._join(community_id=community_id)

    @event(JoinedCommunity)
    def _join(self, community_id: str) -> None:
        self.communities.append(community_id)

    def leave(self, community_id: str) -> None:
        if community_id not in self.communities:
            return
        if any(c == community_id for c in self.npos.values()):
            raise ConflictError("Release the community's NPOs first.")
        self._leave(community_id=community_id)

    @event(LeftCommunity)
    def _leave(self, community_id: str) -> None:
        self.communities.remove(community_id)

    class CapSet(SpotlightAggregate.Event):
        npo_cap: int | None

    def set_cap(self, npo_cap: int | None) -> None:
        """An admin sets this leader's cap; None returns to the platform default."""
        if npo_cap is not None and (
            isinstance(npo_cap, bool)
            or not isinstance(npo_cap, int)
            or not 0 <= npo_cap <= MAX_CAP
        ):
            raise InvalidFieldError("npo_cap", f"must be between 0 and {MAX_CAP}")
        if npo_cap != self.npo_cap:
            self._set_cap(npo_cap=npo_cap)

    @event(CapSet)
    def _set_cap(self, npo_cap: int | None) -> None:
        self.npo_cap = npo_cap

    class NpoTaken(SpotlightAggregate.Event):
        npo_id: str
        community_id: str

    class NpoReleased(SpotlightAggregate.Event):
        npo_id: str

    def take(self, npo_id: str, community_id: str, default_cap: int) -> None:
        """The invariant: never more NPOs than the cap."""
        if npo_id in self.npos:
            return
        if community_id not in self.communities:
            raise ConflictError("The leader does not lead that community.")
        if len(self.npos) >= self.effective_cap(default_cap):
            raise CapReachedError("The leader has reached their cap.")
        self._take(npo_id=npo_id, community_id=community_id)

    @event(NpoTaken)
    def _take(self, npo_id: str, community_id: str) -> None:
        self.npos[npo_id] = community_id

    def release(self, npo_id: str) -> None:
        if npo_id in self.npos:
            self._release(npo_id=npo_id)

    @event(NpoReleased)
    def _release(self, npo_id: str) -> None:
        del self.npos[npo_id]


class LeaderRoster(SpotlightAggregate):
    """A community's leaders, round-robin pointer, assignments and waiting queue."""

    @staticmethod
    def id_for(community_id: UUID | str) -> UUID:
        return uuid5(ONBOARDING_NAMESPACE, f"roster:{community_id}")

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
        index = self.leaders.index(leader_id)
        if self.last_assigned == leader_id:
            # Keep the rotation where it was: the pointer moves to the one before.
            self.last_assigned = self.leaders[index - 1] if index > 0 else None
        self.leaders.remove(leader_id)
        if self.last_assigned == leader_id:
            self.last_assigned = None

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
        self.waiting.append([npo_id, since])
        self.waiting.sort(key=lambda w: (w[1], w[0]))

    def dequeue(self, npo_id: str) -> None:
        if self.is_waiting(npo_id):
            self._dequeue(npo_id=npo_id)

    @event(NpoDequeued)
    def _dequeue(self, npo_id: str) -> None:
        self.waiting = [w for w in self.waiting if w[0] != npo_id]


# --- The rules ------------------------------------------------------------------------


def pick_leader(
    roster: LeaderRoster, leaders: Mapping[str, Leader], default_cap: int
) -> str | None:
    """Round-robin: after the last leader chosen, the first one under their cap."""
    order = roster.leaders
    if not order:
        return None
    start = 0
    if roster.last_assigned in order:
        start = order.index(roster.last_assigned) + 1
    for step in range(len(order)):
        candidate = order[(start + step) % len(order)]
        if leaders[candidate].spare(default_cap) > 0:
            return candidate
    return None


def assign(npo: Npo, roster: LeaderRoster, leader: Leader, default_cap: int) -> None:
    """Record one assignment on all three aggregates."""
    npo_id = str(npo.id)
    leader.take(npo_id, roster.community_id, default_cap)
    roster.record_assignment(npo_id, leader.user_id)
    npo.assign_leader(leader.user_id, roster.community_id)


def assign_or_queue(
    npo: Npo,
    roster: LeaderRoster,
    leaders: Mapping[str, Leader],
    default_cap: int,
) -> Leader | None:
    """Assign the next leader under their cap, else queue the NPO (and say so)."""
    chosen = pick_leader(roster, leaders, default_cap)
    if chosen is None:
        roster.queue(str(npo.id), npo.completed_at or "")
        npo.start_waiting(roster.community_id)
        return None
    leader = leaders[chosen]
    assign(npo, roster, leader, default_cap)
    return leader


def serve_waiting(
    rosters: Sequence[LeaderRoster],
    leaders: Mapping[str, Leader],
    load_npo: Callable[[str], Npo],
    default_cap: int,
) -> list[Npo]:
    """Give freed capacity to waiting NPOs, the longest waiting first.

    Across several communities (a leader in two of them freed a slot) the head of
    each queue competes by completion time. Returns the NPOs now assigned.
    """
    served: list[Npo] = []
    blocked: set[str] = set()
    while True:
        heads = [r for r in rosters if r.waiting and r.community_id not in blocked]
        if not heads:
            return served
        roster = min(heads, key=lambda r: (r.waiting[0][1], r.waiting[0][0]))
        chosen = pick_leader(roster, leaders, default_cap)
        if chosen is None:
            blocked.add(roster.community_id)
            continue
        npo = load_npo(roster.waiting[0][0])
        if npo.deleted or npo.leader_id is not None:
            roster.dequeue(str(npo.id))  # should not happen; never block the queue
            continue
        assign(npo, roster, leaders[chosen], default_cap)
        served.append(npo)


def displace(
    roster: LeaderRoster, leader: Leader, load_npo: Callable[[str], Npo], reason: str
) -> list[Npo]:
    """Take the leader's NPOs of this community back into its queue.

    The NPOs keep their completion time, so they go ahead of later ones. The caller
    then serves the queue and marks those still waiting.
    """
    displaced = [n for n, lid in roster.assignments.items() if lid == leader.user_id]
    npos = []
    for npo_id in displaced:
        npo = load_npo(npo_id)
        leader.release(npo_id)
        roster.release(npo_id)
        npo.unassign_leader(reason)
        roster.queue(npo_id, npo.completed_at or "")
        npos.append(npo)
    return npos
