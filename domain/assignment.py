"""One assignment machinery for community leaders and career mentors.

Three parties take part in every assignment, saved together in one transaction:

- a **pool** (a community's ``LeaderRoster``, the platform's ``MentorPool``): its
  members in joining order, the round-robin pointer (the member chosen last), the
  subject → member assignments, and the FIFO queue of subjects waiting;
- a **seat** (a ``Leader``, a ``Mentor``): one member's cap and the subjects they
  hold; it refuses a subject beyond its cap, and every assignment changes it, so the
  cap holds across pools and processes (a concurrent second one is a stale write);
- a **subject** (an ``Npo``, a ``Candidate``): assigned, waiting, or unassigned.

The rule is the same for both: starting after the pointer, the first member who is
eligible and under their cap takes the subject; when nobody can, the subject waits,
ordered by when it asked (its completion time, then its id), and freed capacity
serves the longest waiting first. A member who leaves puts their subjects back in
the queue with their original time, ahead of later ones.

The only difference between leaders and mentors is the **eligibility rule**: an
ordered list of ``Tier``\\ s, each admitting some members and naming the reason
recorded when the choice falls in it. Leaders: every leader of the community
(``ANYONE``). Mentors: those whose expertise covers the candidate's most urgent
needs, else any mentor with capacity. How each kind of subject and seat record
the outcome on their own events is the ``Kind`` protocol's plumbing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

# -- The parties --------------------------------------------------------------------


class Pool(Protocol):
    """Members in joining order, the pointer, assignments and the FIFO queue."""

    @property
    def members(self) -> Sequence[str]: ...

    @property
    def last_assigned(self) -> str | None: ...

    @property
    def assignments(self) -> Mapping[str, str]: ...

    @property
    def waiting(self) -> Sequence[Sequence[str]]:
        """``[subject id, since]`` in serving order (``queue_key``)."""
        ...

    def record_assignment(self, subject_id: str, member_id: str) -> None: ...

    def release(self, subject_id: str) -> None: ...

    def queue(self, subject_id: str, since: str) -> None: ...

    def dequeue(self, subject_id: str) -> None: ...


class Seat(Protocol):
    """A member's capacity (their own cap, else the pool's default)."""

    def spare(self, default_cap: int) -> int: ...


P = TypeVar("P", bound=Pool)
S = TypeVar("S")
A = TypeVar("A", bound=Seat)
P_contra = TypeVar("P_contra", bound=Pool, contravariant=True)
S_contra = TypeVar("S_contra", contravariant=True)
A_contra = TypeVar("A_contra", bound=Seat, contravariant=True)


@dataclass(frozen=True)
class Tier:
    """One step of an eligibility rule: whom it admits, and the reason recorded
    when the member chosen was admitted by this step."""

    reason: str
    admits: Callable[[str], bool]


ROUND_ROBIN = "round_robin"
ANYONE: tuple[Tier, ...] = (Tier(ROUND_ROBIN, lambda _member: True),)


@dataclass(frozen=True)
class Choice:
    member_id: str
    reason: str


class Kind(Protocol[P_contra, S_contra, A_contra]):
    """How one kind of subject and seat record what the machinery decides, and the
    eligibility rule for a subject (the only policy that differs)."""

    def key(self, subject: S_contra) -> str:
        """The subject's id, as the pool records it."""
        ...

    def since(self, subject: S_contra) -> str:
        """When the subject asked (ISO text): its place in the queue."""
        ...

    def rule(self, subject: S_contra) -> Sequence[Tier]: ...

    def is_open(self, subject: S_contra) -> bool:
        """Still needs a member (alive, not assigned)."""
        ...

    def assign(
        self, pool: P_contra, subject: S_contra, seat: A_contra, reason: str
    ) -> None:
        """The seat takes the subject (refusing beyond its cap); the subject records
        its member. The pool's record is the machinery's."""
        ...

    def wait(self, pool: P_contra, subject: S_contra) -> None:
        """The subject records that it waits (the pool already queued it)."""
        ...

    def unassign(
        self, pool: P_contra, subject: S_contra, seat: A_contra, reason: str
    ) -> None:
        """The seat releases the subject; the subject records it has no member."""
        ...


# -- The queue ------------------------------------------------------------------------


def queue_key(entry: Sequence[str]) -> tuple[str, str]:
    """Serving order: the earliest ``since`` first, then the subject id."""
    return (entry[1], entry[0])


def enqueue(waiting: list[list[str]], subject_id: str, since: str) -> None:
    """Add a subject to a queue kept in serving order (a pool's event applies it)."""
    waiting.append([subject_id, since])
    waiting.sort(key=queue_key)


def pointer_after_leaving(
    members: Sequence[str], last_assigned: str | None, leaving: str
) -> str | None:
    """Where the pointer stands once ``leaving`` leaves: the rotation keeps its
    place (the member before the one who left, if that one was last chosen)."""
    if last_assigned != leaving:
        return last_assigned
    index = members.index(leaving)
    before = members[index - 1] if index > 0 else None
    return None if before == leaving else before


# -- The rule -------------------------------------------------------------------------


def next_in_turn(
    members: Sequence[str], last_assigned: str | None, can_take: Callable[[str], bool]
) -> str | None:
    """Round-robin: after the member chosen last, the first one who can take."""
    if not members:
        return None
    start = 0
    if last_assigned is not None and last_assigned in members:
        start = list(members).index(last_assigned) + 1
    for step in range(len(members)):
        member = members[(start + step) % len(members)]
        if can_take(member):
            return member
    return None


def pick(
    pool: Pool, seats: Mapping[str, Seat], default_cap: int, rule: Sequence[Tier]
) -> Choice | None:
    """The first tier of the rule with an admitted member under their cap decides;
    within it, the round-robin."""
    for tier in rule:

        def can_take(member: str, tier: Tier = tier) -> bool:
            return tier.admits(member) and seats[member].spare(default_cap) > 0

        chosen = next_in_turn(pool.members, pool.last_assigned, can_take)
        if chosen is not None:
            return Choice(chosen, tier.reason)
    return None


def assign(kind: Kind[P, S, A], pool: P, subject: S, seat: A, choice: Choice) -> None:
    """Record one assignment on the three parties."""
    kind.assign(pool, subject, seat, choice.reason)
    pool.record_assignment(kind.key(subject), choice.member_id)


def assign_or_queue(
    kind: Kind[P, S, A],
    pool: P,
    subject: S,
    seats: Mapping[str, A],
    default_cap: int,
) -> Choice | None:
    """Assign the next eligible member under their cap, else queue the subject (and
    it says so)."""
    chosen = pick(pool, seats, default_cap, kind.rule(subject))
    if chosen is None:
        pool.queue(kind.key(subject), kind.since(subject))
        kind.wait(pool, subject)
        return None
    assign(kind, pool, subject, seats[chosen.member_id], chosen)
    return chosen


def serve_waiting(
    kind: Kind[P, S, A],
    pools: Sequence[P],
    seats: Mapping[str, A],
    load: Callable[[str], S],
    default_cap: int,
) -> list[S]:
    """Give freed capacity to waiting subjects, the longest waiting first.

    Across several pools (a leader in two communities freed a slot) the head of
    each queue competes by its time. A head nobody can take blocks its pool (FIFO:
    nobody overtakes it there). Returns the subjects now assigned.
    """
    served: list[S] = []
    blocked: set[int] = set()
    while True:
        heads = [(n, p) for n, p in enumerate(pools) if p.waiting and n not in blocked]
        if not heads:
            return served
        index, pool = min(heads, key=lambda h: queue_key(h[1].waiting[0]))
        subject = load(pool.waiting[0][0])
        if not kind.is_open(subject):
            pool.dequeue(kind.key(subject))  # should not happen; never block a queue
            continue
        chosen = pick(pool, seats, default_cap, kind.rule(subject))
        if chosen is None:
            blocked.add(index)
            continue
        assign(kind, pool, subject, seats[chosen.member_id], chosen)
        served.append(subject)


def displace(
    kind: Kind[P, S, A],
    pool: P,
    member_id: str,
    seat: A,
    load: Callable[[str], S],
    *,
    reason: str,
) -> list[S]:
    """Take a member's subjects in this pool back into its queue, with their
    original time (so ahead of later ones). The caller then serves the queue and
    marks those still waiting (``wait_again``)."""
    subjects = []
    for subject_id in [s for s, m in pool.assignments.items() if m == member_id]:
        subject = load(subject_id)
        kind.unassign(pool, subject, seat, reason)
        pool.release(subject_id)
        pool.queue(subject_id, kind.since(subject))
        subjects.append(subject)
    return subjects


def wait_again(kind: Kind[P, S, A], pool: P, subjects: Sequence[S]) -> None:
    """Displaced subjects nobody took record that they wait."""
    for subject in subjects:
        if kind.is_open(subject):
            kind.wait(pool, subject)


def release(
    kind: Kind[P, S, A], pool: P, subject: S, seat: A | None, reason: str
) -> None:
    """The subject needs no member any more: free its seat, or its place in the
    queue. The caller then serves the queue."""
    key = kind.key(subject)
    if seat is not None and key in pool.assignments:
        kind.unassign(pool, subject, seat, reason)
        pool.release(key)
    pool.dequeue(key)
