"""Candidates' handlers, the candidates view and the careers process manager on the
embedded stores: messages sent through the dispatcher, as every entry point sends
them; identity's erasure of a person erases their career record."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID, uuid4

import pytest

from adapters.embedded.bus import InMemoryMessageBus
from adapters.embedded.cache import InMemoryCache
from adapters.embedded.documents import InMemoryDocumentStore
from adapters.embedded.views import SqliteRelationalStore
from commands.base import Actor
from commands.careers.messages import (
    CompleteAssessment,
    EraseCandidate,
    FinishMentoring,
    SaveMentorProfile,
    UpdateCareerProfile,
)
from commands.identity.messages import EraseUser, SignIn
from domain.base import NotAllowedError, NotFoundError
from domain.careers.badges import BadgeKind
from domain.careers.candidate import Candidate
from domain.careers.mentor import MentorProfile
from domain.careers.values import CandidateStatus, OnboardingStatus, Visibility
from domain.identity.values import Role
from domain.personal_data import ERASED
from projections.careers.candidates import CandidatesView
from projections.contracts import ViewPorts
from projections.engine import ProjectionEngine
from queries.careers.candidates import candidate_for, own_assessments, own_record
from tests.support.careers_candidates import (
    Careers,
    candidate,
    career_profile,
    needs_assessment,
    someone,
)
from tests.support.onboarding import KnownUsers


@pytest.fixture
def careers() -> Iterator[Careers]:
    made = Careers()
    yield made
    made.close()


def test_the_candidate_story_from_profile_to_history(careers: Careers) -> None:
    ada = candidate()

    # Check the first career action registers the candidate.
    saved = careers.send(
        UpdateCareerProfile(
            actor=ada, candidate_id=ada.user_id, profile=career_profile()
        )
    )
    assert saved.ids == (ada.user_id,)
    assert saved.consistency_token is not None
    careers.catch_up()
    record = own_record(careers.views, ada.user_id)
    assert record.status is CandidateStatus.REGISTERED
    assert record.onboarding is OnboardingStatus.PENDING
    assert record.visibility is Visibility.MENTORS
    assert record.profile == career_profile()
    assert record.badges == ()
    assert record.engagement.profile_updates == 1
    assert record.engagement.days_active == 1
    assert record.engagement.last_active_at is not None

    # Check the first assessment completes onboarding and earns the badge; a
    # retake joins the history, newest first.
    careers.send(
        CompleteAssessment(
            actor=ada, candidate_id=ada.user_id, assessment=needs_assessment()
        )
    )
    careers.send(
        CompleteAssessment(
            actor=ada,
            candidate_id=ada.user_id,
            assessment=needs_assessment(preferred_format="either"),
        )
    )
    careers.catch_up()
    record = own_record(careers.views, ada.user_id)
    # No mentor has a profile yet: assessed, and waiting for one.
    assert record.status is CandidateStatus.WAITING_FOR_MENTOR
    assert record.onboarding is OnboardingStatus.COMPLETE
    assert [b.kind for b in record.badges] == [BadgeKind.ASSESSMENT_COMPLETED]
    assert record.engagement.assessments_taken == 2
    assert record.engagement.days_active == 1  # all today
    first = own_assessments(careers.views, ada.user_id, cursor=None, limit=1)
    assert [a.number for a in first.items] == [2]
    assert first.items[0].assessment.preferred_format.value == "either"
    assert first.next_cursor is not None
    rest = own_assessments(
        careers.views, ada.user_id, cursor=first.next_cursor, limit=1
    )
    assert [a.number for a in rest.items] == [1]
    assert rest.next_cursor is None


def test_nobody_changes_anothers_record(careers: Careers) -> None:
    ada, bob = candidate(), candidate()
    with pytest.raises(NotAllowedError):
        careers.send(
            UpdateCareerProfile(
                actor=bob, candidate_id=ada.user_id, profile=career_profile()
            )
        )
    with pytest.raises(NotAllowedError):
        careers.send(
            CompleteAssessment(
                actor=bob, candidate_id=ada.user_id, assessment=needs_assessment()
            )
        )
    # Check a user without the CANDIDATE role keeps no career record.
    npo = someone("NPO")
    with pytest.raises(NotAllowedError):
        careers.send(
            UpdateCareerProfile(
                actor=npo, candidate_id=npo.user_id, profile=career_profile()
            )
        )
    careers.catch_up()
    with pytest.raises(NotFoundError):
        own_record(careers.views, ada.user_id)
    with pytest.raises(NotFoundError):
        own_record(careers.views, npo.user_id)


def test_an_unchanged_profile_records_nothing(careers: Careers) -> None:
    ada = candidate()
    send = UpdateCareerProfile(
        actor=ada, candidate_id=ada.user_id, profile=career_profile()
    )
    careers.send(send)
    again = careers.send(send)
    assert again.position is None
    assert careers.app.repository.get(UUID(ada.user_id)).version == 2


def test_admins_and_the_mentor_allowed_by_visibility_see_a_candidate(
    careers: Careers,
) -> None:
    ada = candidate()
    careers.send(
        UpdateCareerProfile(
            actor=ada,
            candidate_id=ada.user_id,
            profile=career_profile(visibility="private"),
        )
    )
    careers.send(
        CompleteAssessment(
            actor=ada, candidate_id=ada.user_id, assessment=needs_assessment()
        )
    )
    careers.catch_up()
    admin = someone("ADMIN")
    seen = candidate_for(careers.views, admin.user_id, admin.roles, ada.user_id)
    assert seen.latest_assessment is not None
    assert seen.latest_assessment.number == 1

    # Check nobody else sees the candidate: not another candidate, not a mentor who
    # is not theirs, not an NPO.
    for other in (candidate(), someone("CAREER_MENTOR"), someone("NPO")):
        with pytest.raises(NotFoundError):
            candidate_for(careers.views, other.user_id, other.roles, ada.user_id)
    with pytest.raises(NotFoundError):
        candidate_for(careers.views, admin.user_id, admin.roles, str(uuid4()))


def test_the_view_follows_the_mentor_events(careers: Careers) -> None:
    users = KnownUsers()
    careers.app.users = users
    ada = candidate()
    users.add(ada.user_id, "CANDIDATE")

    # Check a candidate assessed while no mentor has room waits for one.
    careers.send(
        CompleteAssessment(
            actor=ada, candidate_id=ada.user_id, assessment=needs_assessment()
        )
    )
    careers.catch_up()
    record = own_record(careers.views, ada.user_id)
    assert record.status is CandidateStatus.WAITING_FOR_MENTOR

    # Check a mentor joining takes them (the real assignment).
    mentor = someone("CAREER_MENTOR")
    users.add(mentor.user_id, "CAREER_MENTOR")
    careers.send(
        SaveMentorProfile(
            actor=mentor, profile=MentorProfile.of(categories=["resume_writing"])
        )
    )
    careers.catch_up()
    record = own_record(careers.views, ada.user_id)
    assert (record.status, record.mentor_id) == (
        CandidateStatus.MENTORED,
        mentor.user_id,
    )
    assert record.visibility is Visibility.PRIVATE
    # Check a private candidate is hidden from their own mentor.
    with pytest.raises(NotFoundError):
        candidate_for(careers.views, mentor.user_id, mentor.roles, ada.user_id)

    # Check the mentoring finished leaves them assessed, with no mentor.
    careers.send(FinishMentoring(actor=mentor, candidate_id=UUID(ada.user_id)))
    careers.catch_up()
    record = own_record(careers.views, ada.user_id)
    assert (record.status, record.mentor_id) == (CandidateStatus.ASSESSED, None)


def test_only_the_platform_or_an_admin_erases_a_career_record(
    careers: Careers,
) -> None:
    ada = candidate()
    careers.send(
        UpdateCareerProfile(
            actor=ada, candidate_id=ada.user_id, profile=career_profile()
        )
    )
    for actor in (ada, someone("CAREER_MENTOR")):
        with pytest.raises(NotAllowedError):
            careers.send(EraseCandidate(actor=actor, candidate_id=ada.user_id))
    # Check erasing someone with no career record changes nothing.
    nothing = careers.send(
        EraseCandidate(actor=Actor.system("t"), candidate_id=str(uuid4()))
    )
    assert nothing.position is None
    erased = careers.send(
        EraseCandidate(actor=someone("ADMIN"), candidate_id=ada.user_id)
    )
    assert erased.position is not None
    again = careers.send(
        EraseCandidate(actor=Actor.system("t"), candidate_id=ada.user_id)
    )
    assert again.position is None


def test_erasing_the_person_erases_their_career_record(careers: Careers) -> None:
    signed = careers.send(
        SignIn(
            actor=Actor.system("c-1"),
            issuer="https://accounts.google.com",
            subject=uuid4().hex,
            email=f"{uuid4().hex[:8]}@example.org",
            email_verified=True,
            given_name="Ada",
            family_name="Lovelace",
            sign_up_roles=frozenset({Role.CANDIDATE}),
        )
    )
    ada = candidate(str(signed.user_id))
    careers.send(
        UpdateCareerProfile(
            actor=ada, candidate_id=ada.user_id, profile=career_profile()
        )
    )
    careers.send(
        CompleteAssessment(
            actor=ada, candidate_id=ada.user_id, assessment=needs_assessment()
        )
    )
    careers.catch_up()
    assert own_record(careers.views, ada.user_id).profile is not None

    careers.send(EraseUser(actor=ada, user_id=signed.user_id))
    careers.catch_up()  # the process manager sends EraseCandidate
    careers.catch_up()  # the view applies Candidate.Erased

    # Check the view forgot the candidate, and the record loads, erased, with its
    # personal fields unreadable.
    with pytest.raises(NotFoundError):
        own_record(careers.views, ada.user_id)
    assert (
        own_assessments(careers.views, ada.user_id, cursor=None, limit=10).items == []
    )
    record: object = careers.app.repository.get(signed.user_id)
    assert isinstance(record, Candidate)
    assert record.erased
    assert record.profile is None
    stored = [
        e
        for e in careers.app.events.get(signed.user_id)
        if isinstance(e, Candidate.AssessmentCompleted | Candidate.ProfileUpdated)
    ]
    assert len(stored) == 2
    assert all(
        getattr(e, "assessment", getattr(e, "profile", None)) == ERASED for e in stored
    )

    # Check a rebuild of the view from the erased log holds nothing of them.
    rebuilt = SqliteRelationalStore(None)
    engine = ProjectionEngine(
        rebuilt,
        {careers.app.name: careers.app},
        [CandidatesView],
        ViewPorts(InMemoryDocumentStore(), InMemoryCache(), InMemoryMessageBus()),
    )
    engine.catch_up()
    with pytest.raises(NotFoundError):
        own_record(rebuilt, ada.user_id)
    engine.stop()
    rebuilt.close()
