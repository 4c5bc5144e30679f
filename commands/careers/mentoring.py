"""Mentor assignment inside a careers decision (CM2).

These helpers run inside ``run(..., assignment=True)``: they load through the unit of
work, so everything they change (the candidate, the mentor pool, the mentors) is
saved together, and a concurrent decision on the same pool is a stale write decided
again. The rule is ``domain.careers.mentor_assignment`` over the machinery leaders
share (``domain.assignment``).

Capacity freed anywhere serves the queue at once, longest waiting first: a mentor
joins or comes back, a cap is raised (theirs or the platform's), a mentee finishes,
leaves or is erased, or a mentor leaving frees nothing but their mentees go back in
line with their original time.
"""

from __future__ import annotations

from typing import Final

from commands.careers.application import UnitOfWork
from domain import assignment
from domain.careers.candidate import Candidate
from domain.careers.mentor import Mentor
from domain.careers.mentor_assignment import MentorKind

# Why a mentee lost their mentor because of the mentor (``Candidate.MENTOR_SIDE``).
MENTOR_LEFT: Final = "mentor_left"
MENTOR_ROLE_REVOKED: Final = "mentor_role_revoked"
MENTOR_DISABLED: Final = "mentor_disabled"
MENTOR_ERASED: Final = "mentor_erased"
# Why a candidate no longer needs their mentor.
MENTORING_FINISHED = "finished"


def kind_for(unit: UnitOfWork) -> MentorKind:
    pool = unit.pool()
    return MentorKind(unit.mentee_cap(), unit.mentors_of(pool))


def assign_after_assessment(unit: UnitOfWork, candidate: Candidate) -> None:
    """After a completed assessment: a mentor covering the most urgent needs, any
    mentor with capacity, or the queue. A candidate who has a mentor or already
    waits keeps them (a re-taken assessment changes neither)."""
    if not candidate.needs_mentor:
        return
    kind = kind_for(unit)
    assignment.assign_or_queue(
        kind, unit.pool(), candidate, kind.mentors, kind.default_cap
    )


def release_mentoring(unit: UnitOfWork, candidate: Candidate, reason: str) -> None:
    """The candidate no longer needs a mentor (they finished, left or were erased):
    free their mentor's slot, or their place in the queue, and serve the queue."""
    pool = unit.pool()
    kind = kind_for(unit)
    seat = unit.find_mentor(candidate.mentor_id) if candidate.mentor_id else None
    assignment.release(kind, pool, candidate, seat, reason)
    candidate.stop_waiting(reason)
    serve(unit)


def serve(unit: UnitOfWork) -> list[Candidate]:
    """Give free capacity to waiting candidates (FIFO)."""
    pool = unit.pool()
    if not pool.waiting:
        return []
    kind = kind_for(unit)
    return assignment.serve_waiting(
        kind, [pool], kind.mentors, unit.candidate, kind.default_cap
    )


def join_pool(unit: UnitOfWork, mentor: Mentor) -> None:
    """A mentor (new, or back) is in the pool; their capacity serves the queue."""
    unit.pool().add_mentor(mentor.user_id)
    serve(unit)


def retire(unit: UnitOfWork, mentor: Mentor, reason: str) -> list[Candidate]:
    """The mentor leaves: every mentee goes back in line (with their original time)
    and is reassigned to another mentor with capacity, or waits. No orphan."""
    pool = unit.pool()
    kind = kind_for(unit)
    displaced = assignment.displace(
        kind, pool, mentor.user_id, mentor, unit.candidate, reason=reason
    )
    pool.remove_mentor(mentor.user_id)
    mentor.retire(reason)
    serve(unit)
    assignment.wait_again(kind, pool, displaced)
    return displaced
