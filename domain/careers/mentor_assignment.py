"""Which mentor a candidate gets (CM2): the shared machinery with mentors' rule.

The shared assignment machinery (``domain.assignment``) over three aggregates, which
a command saves together in one transaction: the ``Candidate`` (the subject), the
platform's ``MentorPool`` (the pool) and the chosen ``Mentor`` (the seat).

The eligibility rule, the only thing that differs from leaders': for the most
urgent needs of the candidate's latest assessment,

1. mentors whose expertise covers every one of them (reason ``expertise``);
2. else mentors covering at least one (``partial_expertise``);
3. else any mentor with capacity (``any_mentor``; also when no need is stated).

Within a tier, round-robin after the pool's pointer, never above a mentor's cap.
When nobody has capacity, the candidate waits in the pool's FIFO queue, ordered by
when they completed the assessment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from domain.assignment import Tier
from domain.careers.candidate import Candidate
from domain.careers.mentor import Mentor
from domain.careers.mentor_pool import MentorPool

EXPERTISE = "expertise"
PARTIAL_EXPERTISE = "partial_expertise"
ANY_MENTOR = "any_mentor"
REASONS = (EXPERTISE, PARTIAL_EXPERTISE, ANY_MENTOR)


def rule_for(candidate: Candidate, mentors: Mapping[str, Mentor]) -> tuple[Tier, ...]:
    """The tiers for this candidate's most urgent needs."""
    assessment = candidate.latest_assessment
    urgent = assessment.most_urgent_categories() if assessment else ()
    anyone = Tier(ANY_MENTOR, lambda _member: True)
    if not urgent:
        return (anyone,)
    return (
        Tier(EXPERTISE, lambda member: mentors[member].profile.covers(urgent)),
        Tier(
            PARTIAL_EXPERTISE,
            lambda member: mentors[member].profile.covers_any(urgent),
        ),
        anyone,
    )


@dataclass(frozen=True)
class MentorKind:
    """How candidates and mentors record what the machinery decides (``Kind``)."""

    default_cap: int
    mentors: Mapping[str, Mentor]

    def key(self, subject: Candidate) -> str:
        return str(subject.id)

    def since(self, subject: Candidate) -> str:
        return subject.mentor_queue_time()

    def rule(self, subject: Candidate) -> Sequence[Tier]:
        return rule_for(subject, self.mentors)

    def is_open(self, subject: Candidate) -> bool:
        return not subject.erased and subject.mentor_id is None

    def assign(
        self, pool: MentorPool, subject: Candidate, seat: Mentor, reason: str
    ) -> None:
        since = subject.mentor_queue_time()
        seat.take(str(subject.id), self.default_cap, reason)
        subject.assign_mentor(seat.user_id, reason, since)

    def wait(self, pool: MentorPool, subject: Candidate) -> None:
        subject.start_waiting(subject.mentor_queue_time())

    def unassign(
        self, pool: MentorPool, subject: Candidate, seat: Mentor, reason: str
    ) -> None:
        seat.release(str(subject.id), reason)
        subject.unassign_mentor(reason)
