"""Mentor assignment under any sequence of commands (hypothesis state machine).

After every step: no mentor above their cap, nobody waits while an active mentor
has room, every assessed candidate who still wants a mentor has exactly one of a
mentor or a place in the queue (no orphan, also after a mentor leaves), the queue
is in completion order, and the pool, the mentor and the candidate agree about
every assignment.
"""

from __future__ import annotations

from uuid import UUID

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    rule,
)

from commands.base import Actor
from commands.careers.application import UnitOfWork, run
from commands.careers.mentoring import release_mentoring
from commands.careers.messages import (
    FinishMentoring,
    RetireMentor,
    SetCareersPolicy,
    SetMentorCap,
)
from domain.assignment import queue_key
from domain.careers.mentor import Mentor
from domain.careers.values import CandidateStatus
from tests.support.mentoring import Careers, admin

AREAS = ["resume_writing", "rent_housing", "child_care"]
MENTORS = 5


class MentorAssignment(RuleBasedStateMachine):
    candidates = Bundle("candidates")

    def __init__(self) -> None:
        super().__init__()
        self.careers = Careers()
        self.send = self.careers.send
        self.admin = admin()
        self.default_cap = 1
        self.mentors: list[str] = []
        self.wanting: set[str] = set()  # assessed candidates who still want one
        self.left: set[str] = set()

    @initialize()
    def set_the_default_cap(self) -> None:
        self.send(SetCareersPolicy(actor=self.admin, mentee_cap=self.default_cap))

    def mentor(self, user_id: str) -> Mentor:
        return self.careers.get_mentor(user_id)

    @rule(number=st.integers(0, MENTORS - 1), areas=st.sets(st.sampled_from(AREAS)))
    def mentor_saves_a_profile(self, number: int, areas: set[str]) -> None:
        user_id = str(UUID(int=number + 1))
        self.careers.mentor(sorted(areas) or ["mentorship"], user_id=user_id)
        if user_id not in self.mentors:
            self.mentors.append(user_id)

    @rule(number=st.integers(0, MENTORS - 1), why=st.sampled_from(["left", "erased"]))
    def mentor_leaves(self, number: int, why: str) -> None:
        self.send(
            RetireMentor(
                actor=Actor.system("pm"),
                user_id=str(UUID(int=number + 1)),
                reason=f"mentor_{why}",
            )
        )

    @rule(number=st.integers(0, MENTORS - 1), raise_by=st.integers(1, 2))
    def admin_raises_a_cap(self, number: int, raise_by: int) -> None:
        user_id = str(UUID(int=number + 1))
        if user_id not in self.mentors:
            return
        current = self.mentor(user_id).effective_cap(self.default_cap)
        self.send(
            SetMentorCap(
                actor=self.admin, user_id=user_id, mentee_cap=current + raise_by
            )
        )

    @rule()
    def admin_raises_the_default(self) -> None:
        self.default_cap += 1
        self.send(SetCareersPolicy(actor=self.admin, mentee_cap=self.default_cap))

    @rule(
        target=candidates,
        urgent=st.sets(st.sampled_from(AREAS), max_size=2),
        some=st.sets(st.sampled_from(AREAS), max_size=1),
    )
    def candidate_completes_an_assessment(
        self, urgent: set[str], some: set[str]
    ) -> str:
        candidate_id = self.careers.candidate(sorted(urgent), sorted(some - urgent))
        self.wanting.add(candidate_id)
        return candidate_id

    @rule(candidate_id=candidates)
    def candidate_retakes_it(self, candidate_id: str) -> None:
        if candidate_id not in self.left:
            self.careers.complete(candidate_id, urgent=["child_care"])

    @rule(candidate_id=consumes(candidates))
    def mentoring_finishes(self, candidate_id: str) -> None:
        candidate = self.careers.get_candidate(candidate_id)
        if candidate.mentor_id is None:
            return
        self.send(FinishMentoring(actor=self.admin, candidate_id=UUID(candidate_id)))
        self.wanting.discard(candidate_id)

    @rule(candidate_id=consumes(candidates))
    def candidate_leaves(self, candidate_id: str) -> None:
        def decide(unit: UnitOfWork) -> None:
            release_mentoring(unit, unit.candidate(candidate_id), "candidate_left")

        run(self.careers.app, self.admin, decide, assignment=True)
        self.wanting.discard(candidate_id)
        self.left.add(candidate_id)

    @invariant()
    def caps_queue_and_assignments_agree(self) -> None:
        if not self.mentors:
            return
        pool = self.careers.pool()
        held: dict[str, dict[str, str]] = {}
        for user_id in self.mentors:
            mentor = self.mentor(user_id)
            assert len(mentor.mentees) <= mentor.effective_cap(self.default_cap)
            assert (user_id in pool.members) == mentor.active
            if not mentor.active:
                assert mentor.mentees == {}
            held[user_id] = mentor.mentees
        # The pool, the mentor and the candidate agree.
        for candidate_id, mentor_id in pool.assignments.items():
            assert candidate_id in held[mentor_id]
            assert self.careers.get_candidate(candidate_id).mentor_id == mentor_id
        assert sum(len(m) for m in held.values()) == len(pool.assignments)
        # Nobody waits while an active mentor has room; the queue is FIFO.
        if pool.waiting:
            for user_id in pool.members:
                assert self.mentor(user_id).spare(self.default_cap) == 0
        assert pool.waiting == sorted(pool.waiting, key=queue_key)
        waiting = {w[0]: w[1] for w in pool.waiting}
        # No orphan: each candidate wanting a mentor has one, or waits in line.
        for candidate_id in self.wanting:
            candidate = self.careers.get_candidate(candidate_id)
            if candidate.mentor_id is not None:
                assert candidate_id not in waiting
                assert candidate.status == CandidateStatus.MENTORED
            else:
                assert waiting[candidate_id] == candidate.waiting_since
                assert candidate.status == CandidateStatus.WAITING_FOR_MENTOR
        for candidate_id in self.left:
            assert candidate_id not in waiting
            assert candidate_id not in pool.assignments
        assert set(waiting) <= self.wanting

    def teardown(self) -> None:
        self.careers.close()


MentorAssignment.TestCase.settings = settings(
    max_examples=75, stateful_step_count=30, deadline=None
)
TestMentorAssignment = MentorAssignment.TestCase
