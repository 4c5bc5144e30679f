"""Mentor assignment (CM2), told as stories on the in-memory store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from commands.base import Actor
from commands.careers.messages import (
    FinishMentoring,
    RetireMentor,
    SaveMentorProfile,
    SetCareersPolicy,
    SetMentorCap,
)
from domain.base import InvalidFieldError, NotAllowedError, NotFoundError
from domain.careers.mentor import Mentor, MentorProfile
from domain.careers.mentor_assignment import ANY_MENTOR, EXPERTISE, PARTIAL_EXPERTISE
from domain.careers.mentor_pool import MentorPool
from domain.careers.values import CandidateStatus
from tests.support.mentoring import Careers, actor, admin


@pytest.fixture
def careers() -> Iterator[Careers]:
    world = Careers()
    yield world
    world.close()


def set_default_cap(careers: Careers, cap: int) -> None:
    careers.send(SetCareersPolicy(actor=admin(), mentee_cap=cap))


def test_a_mentor_covering_the_most_urgent_needs_is_chosen_round_robin(
    careers: Careers,
) -> None:
    resume = careers.mentor(["resume_writing", "interview_prep"])
    housing = careers.mentor(["rent_housing"])
    resume_too = careers.mentor(["resume_writing"])

    first = careers.candidate(urgent=["resume_writing"], some=["rent_housing"])
    second = careers.candidate(urgent=["resume_writing"])
    third = careers.candidate(urgent=["rent_housing"])

    # Check the rotation passes over the mentor who does not cover the needs.
    assert careers.get_candidate(first).mentor_id == resume
    assert careers.get_candidate(second).mentor_id == resume_too
    assert careers.get_candidate(third).mentor_id == housing
    # Check the candidate is MENTORED and the reason is recorded on both sides.
    candidate = careers.get_candidate(first)
    assert candidate.status == CandidateStatus.MENTORED
    assert careers.get_mentor(resume).mentees == {first: EXPERTISE}


def test_without_a_covering_mentor_any_mentor_with_capacity_takes_them(
    careers: Careers,
) -> None:
    set_default_cap(careers, 1)
    partial = careers.mentor(["resume_writing"])
    other = careers.mentor(["child_care"])

    first = careers.candidate(urgent=["resume_writing", "rent_housing"])
    second = careers.candidate(urgent=["resume_writing", "rent_housing"])

    # Check a mentor covering one of the needs comes before any mentor, and the
    # reason says which tier decided.
    assert careers.get_mentor(partial).mentees == {first: PARTIAL_EXPERTISE}
    assert careers.get_mentor(other).mentees == {second: ANY_MENTOR}


def test_nobody_with_capacity_queues_in_completion_order_until_a_slot_frees(
    careers: Careers,
) -> None:
    set_default_cap(careers, 1)
    mentor = careers.mentor()
    served = careers.candidate()
    waiting = [careers.candidate() for _ in range(3)]

    # Check the cap holds and the others wait, first completed first.
    assert list(careers.get_mentor(mentor).mentees) == [served]
    assert [w[0] for w in careers.pool().waiting] == waiting
    for candidate_id in waiting:
        candidate = careers.get_candidate(candidate_id)
        assert candidate.status == CandidateStatus.WAITING_FOR_MENTOR
        assert candidate.waiting_since is not None

    # A finished mentee frees a slot: the head of the queue takes it.
    careers.send(
        FinishMentoring(
            actor=actor("CAREER_MENTOR", user_id=mentor),
            candidate_id=served,
        )
    )
    assert careers.get_candidate(served).status == CandidateStatus.ASSESSED
    assert list(careers.get_mentor(mentor).mentees) == [waiting[0]]
    assert [w[0] for w in careers.pool().waiting] == waiting[1:]

    # A raised cap serves the next; a new mentor the one after.
    careers.send(SetMentorCap(actor=admin(), user_id=mentor, mentee_cap=2))
    assert list(careers.get_mentor(mentor).mentees) == waiting[:2]
    newcomer = careers.mentor(["child_care"])
    assert list(careers.get_mentor(newcomer).mentees) == [waiting[2]]
    assert careers.pool().waiting == []


def test_a_raised_platform_cap_serves_the_queue(careers: Careers) -> None:
    set_default_cap(careers, 1)
    mentor = careers.mentor()
    candidates = [careers.candidate() for _ in range(3)]
    set_default_cap(careers, 2)
    assert list(careers.get_mentor(mentor).mentees) == candidates[:2]
    assert [w[0] for w in careers.pool().waiting] == candidates[2:]


def test_a_mentor_who_leaves_has_every_mentee_reassigned_or_queued_first(
    careers: Careers,
) -> None:
    set_default_cap(careers, 2)
    leaving = careers.mentor()
    staying = careers.mentor()
    candidates = [careers.candidate() for _ in range(5)]
    # Round-robin: leaving has 0 and 2, staying 1 and 3; 4 waits.
    assert list(careers.get_mentor(leaving).mentees) == [candidates[0], candidates[2]]
    careers.send(SetMentorCap(actor=admin(), user_id=staying, mentee_cap=3))
    assert list(careers.get_mentor(staying).mentees) == [
        candidates[1],
        candidates[3],
        candidates[4],
    ]

    careers.send(
        RetireMentor(
            actor=Actor.system("c"), user_id=leaving, reason="mentor_role_revoked"
        )
    )

    # Check no orphan: every displaced mentee waits, in their original order, and
    # keeps their place ahead of later candidates.
    later = careers.candidate()
    assert [w[0] for w in careers.pool().waiting] == [
        candidates[0],
        candidates[2],
        later,
    ]
    for candidate_id in (candidates[0], candidates[2]):
        candidate = careers.get_candidate(candidate_id)
        assert candidate.mentor_id is None
        assert candidate.status == CandidateStatus.WAITING_FOR_MENTOR
    assert careers.get_mentor(leaving).active is False
    assert leaving not in careers.pool().members
    # Retiring again changes nothing.
    careers.send(
        RetireMentor(actor=Actor.system("c"), user_id=leaving, reason="mentor_left")
    )

    # The mentor comes back by saving their profile: they take the head of the line.
    careers.send(
        SaveMentorProfile(
            actor=actor("CAREER_MENTOR", user_id=leaving),
            profile=MentorProfile.of(categories=["resume_writing"]),
        )
    )
    assert list(careers.get_mentor(leaving).mentees) == [candidates[0], candidates[2]]
    assert [w[0] for w in careers.pool().waiting] == [later]


def test_a_retired_mentors_mentees_go_to_mentors_with_capacity(
    careers: Careers,
) -> None:
    leaving = careers.mentor()
    staying = careers.mentor()
    first = careers.candidate()
    careers.send(RetireMentor(actor=admin(), user_id=leaving, reason="mentor_left"))
    assert careers.get_candidate(first).mentor_id == staying
    assert careers.get_candidate(first).status == CandidateStatus.MENTORED


def test_a_trigger_older_than_the_mentors_return_leaves_them_in_the_pool(
    careers: Careers,
) -> None:
    mentor = careers.mentor()
    before_leaving = datetime.now(UTC)
    careers.send(
        RetireMentor(
            actor=Actor.system("c"),
            user_id=mentor,
            reason="mentor_role_revoked",
            triggered_at=before_leaving,
        )
    )
    assert not careers.get_mentor(mentor).active
    # The role came back and they saved their profile: back in the pool.
    careers.send(
        SaveMentorProfile(
            actor=actor("CAREER_MENTOR", user_id=mentor),
            profile=MentorProfile.of(categories=["child_care"]),
        )
    )
    assert careers.get_mentor(mentor).active

    # Check the same revocation, arriving again (a rebuild replays it), changes
    # nothing, while a later one retires them again.
    careers.send(
        RetireMentor(
            actor=Actor.system("c"),
            user_id=mentor,
            reason="mentor_role_revoked",
            triggered_at=before_leaving,
        )
    )
    assert careers.get_mentor(mentor).active
    careers.send(
        RetireMentor(
            actor=Actor.system("c"),
            user_id=mentor,
            reason="mentor_role_revoked",
            triggered_at=datetime.now(UTC),
        )
    )
    assert not careers.get_mentor(mentor).active


def test_a_re_taken_assessment_keeps_the_mentor(careers: Careers) -> None:
    mentor = careers.mentor()
    careers.mentor()
    candidate = careers.candidate()
    careers.complete(candidate, urgent=["child_care"])
    found = careers.get_candidate(candidate)
    assert found.mentor_id == mentor
    assert len(found.assessments) == 2


def test_the_pool_and_a_mentor_load_from_their_snapshots(careers: Careers) -> None:
    mentor = careers.mentor(["resume_writing", "interview_prep"])
    candidate = careers.candidate()
    app = careers.app
    # Check every type the application snapshots can be snapshotted.
    assert set(app.snapshotting_intervals or {}) == {Mentor, MentorPool}
    for aggregate_id in (Mentor.id_for(mentor), MentorPool.ID):
        app.take_snapshot(aggregate_id)
    # Check an event recorded after the snapshot loads on top of it.
    careers.send(
        SaveMentorProfile(
            actor=actor("CAREER_MENTOR", user_id=mentor),
            profile=MentorProfile.of(categories=["child_care"]),
        )
    )
    assert app.snapshots is not None
    assert len(list(app.snapshots.get(Mentor.id_for(mentor)))) == 1
    loaded = careers.get_mentor(mentor)
    assert loaded.profile == MentorProfile.of(categories=["child_care"])
    assert loaded.mentees == {candidate: EXPERTISE}
    assert careers.pool().assignments == {candidate: mentor}


def test_who_may_do_what(careers: Careers) -> None:
    mentor = careers.mentor()
    candidate = careers.candidate()
    # Only admins set caps and the default; only a CAREER_MENTOR has a profile.
    with pytest.raises(NotAllowedError):
        careers.send(
            SetMentorCap(
                actor=actor("CAREER_MENTOR", user_id=mentor),
                user_id=mentor,
                mentee_cap=9,
            )
        )
    with pytest.raises(NotAllowedError):
        careers.send(SetCareersPolicy(actor=actor("CAREER_MENTOR"), mentee_cap=9))
    with pytest.raises(NotAllowedError):
        careers.send(
            RetireMentor(actor=actor("CANDIDATE"), user_id=mentor, reason="mentor_left")
        )
    someone = actor("CANDIDATE")
    careers.users.add(someone.user_id, "CANDIDATE")
    with pytest.raises(InvalidFieldError):
        careers.send(
            SaveMentorProfile(
                actor=someone, profile=MentorProfile.of(categories=["child_care"])
            )
        )
    # Another mentor cannot end someone else's mentee's mentoring, nor learn whose.
    other = careers.mentor()
    with pytest.raises(NotFoundError):
        careers.send(
            FinishMentoring(
                actor=actor("CAREER_MENTOR", user_id=other),
                candidate_id=candidate,
            )
        )
    # Bad values name their field.
    with pytest.raises(InvalidFieldError) as refused:
        careers.send(SetMentorCap(actor=admin(), user_id=mentor, mentee_cap=-1))
    assert refused.value.field == "mentee_cap"
    with pytest.raises(InvalidFieldError) as refused:
        MentorProfile.of(categories=["astrology"])
    assert refused.value.field == "categories[0]"
    with pytest.raises(NotFoundError):
        careers.send(SetMentorCap(actor=admin(), user_id="nobody", mentee_cap=1))
