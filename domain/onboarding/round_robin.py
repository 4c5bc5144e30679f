"""The round-robin rule that gives NPOs community leaders (CL5, the seed's rule).

The shared assignment machinery (``domain.assignment``) over three aggregates, which
a command saves together in one transaction: the NPO (``Npo``, the subject), its
community's ``LeaderRoster`` (the pool) and the chosen ``Leader`` (the seat).

Every leader of the community is eligible (``ANYONE``): starting after the roster's
pointer, the first leader under their cap takes the NPO. An NPO no leader can take
waits in the roster's queue; freed capacity serves the queue, longest waiting first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from domain import assignment
from domain.onboarding.leader import Leader
from domain.onboarding.leader_roster import LeaderRoster
from domain.onboarding.npo import Npo


@dataclass(frozen=True)
class LeaderKind:
    """How NPOs and leaders record what the machinery decides (``Kind``)."""

    default_cap: int

    def key(self, subject: Npo) -> str:
        return str(subject.id)

    def since(self, subject: Npo) -> str:
        return subject.completed_at or ""

    def rule(self, subject: Npo) -> Sequence[assignment.Tier]:
        return assignment.ANYONE

    def is_open(self, subject: Npo) -> bool:
        return not subject.deleted and subject.leader_id is None

    def assign(
        self, pool: LeaderRoster, subject: Npo, seat: Leader, reason: str
    ) -> None:
        seat.take(str(subject.id), pool.community_id, self.default_cap)
        subject.assign_leader(seat.user_id, pool.community_id)

    def wait(self, pool: LeaderRoster, subject: Npo) -> None:
        subject.start_waiting(pool.community_id)

    def unassign(
        self, pool: LeaderRoster, subject: Npo, seat: Leader, reason: str
    ) -> None:
        seat.release(str(subject.id))
        subject.unassign_leader(reason)


def pick_leader(
    roster: LeaderRoster, leaders: Mapping[str, Leader], default_cap: int
) -> str | None:
    """Round-robin: after the last leader chosen, the first one under their cap."""
    chosen = assignment.pick(roster, leaders, default_cap, assignment.ANYONE)
    return chosen.member_id if chosen else None


def assign(npo: Npo, roster: LeaderRoster, leader: Leader, default_cap: int) -> None:
    """Record one assignment on all three aggregates."""
    choice = assignment.Choice(leader.user_id, assignment.ROUND_ROBIN)
    assignment.assign(LeaderKind(default_cap), roster, npo, leader, choice)


def assign_or_queue(
    npo: Npo,
    roster: LeaderRoster,
    leaders: Mapping[str, Leader],
    default_cap: int,
) -> Leader | None:
    """Assign the next leader under their cap, else queue the NPO (and say so)."""
    chosen = assignment.assign_or_queue(
        LeaderKind(default_cap), roster, npo, leaders, default_cap
    )
    return leaders[chosen.member_id] if chosen else None


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
    return assignment.serve_waiting(
        LeaderKind(default_cap), rosters, leaders, load_npo, default_cap
    )


def displace(
    roster: LeaderRoster, leader: Leader, load_npo: Callable[[str], Npo], reason: str
) -> list[Npo]:
    """Take the leader's NPOs of this community back into its queue.

    The NPOs keep their completion time, so they go ahead of later ones. The caller
    then serves the queue and marks those still waiting.
    """
    # The cap plays no part in releasing.
    kind = LeaderKind(default_cap=0)
    return assignment.displace(
        kind, roster, leader.user_id, leader, load_npo, reason=reason
    )
