"""The round-robin rule that gives NPOs community leaders (CL5, the seed's rule).

Pure functions over three aggregates, which a command saves together in one
transaction: the NPO (``Npo``), its community's ``LeaderRoster`` and the chosen
``Leader``.

``pick_leader`` is the rule itself: starting after the roster's pointer, the first
leader of the community who is under their cap. An NPO no leader can take waits in
the roster's queue; freed capacity serves the queue, longest waiting first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from domain.onboarding.leader import Leader
from domain.onboarding.leader_roster import LeaderRoster
from domain.onboarding.npo import Npo


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
