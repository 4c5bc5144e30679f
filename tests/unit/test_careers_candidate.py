"""The candidate's record in the domain: the career profile's checks, the needs
assessment's refusals, the status and onboarding an assessment brings, badges
earned once, and erasure."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from domain.base import GoneError, InvalidFieldError
from domain.careers.badges import BadgeKind
from domain.careers.candidate import Candidate
from domain.careers.profile import CareerProfile, Education, WorkExperience
from domain.careers.values import CandidateStatus, OnboardingStatus, Visibility
from domain.personal_data import ERASED
from tests.support.careers_candidates import career_profile, needs_assessment


def registered() -> Candidate:
    return Candidate.register(uuid4(), ["CANDIDATE"])


# --- The career profile -----------------------------------------------------------


def test_a_profile_is_normalised() -> None:
    profile = career_profile(headline="  Data analyst  ")

    # Check text is trimmed, skills are kept once whatever their case, and the
    # profile reads back as it was recorded.
    assert profile.headline == "Data analyst"
    assert profile.skills == ("SQL", "Customer service")
    assert profile.visibility is Visibility.MENTORS
    again = CareerProfile.from_state(profile.to_state(), profile.visibility)
    assert again == profile


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"headline": "a\x00b"}, "headline"),
        ({"summary": "x" * 5_001}, "summary"),
        ({"skills": ["ok", "  "]}, "skills[1]"),
        ({"skills": ["s"] * 51}, "skills"),
        ({"skills": "SQL"}, "skills"),
        ({"education": [Education("  ")]}, "education[0].institution"),
        (
            {"education": [Education("College", start_year=2020, end_year=2019)]},
            "education[0].end_year",
        ),
        (
            {"education": [Education("College", start_year=1066)]},
            "education[0].start_year",
        ),
        ({"education": [{"institution": "College"}]}, "education[0]"),
        ({"work_history": [WorkExperience("Shop", "")]}, "work_history[0].title"),
        (
            {"work_history": [WorkExperience("Shop", "Lead", description="y" * 5_001)]},
            "work_history[0].description",
        ),
        ({"achievements": ["a" * 501]}, "achievements[0]"),
        ({"links": ["ftp://example.org"]}, "links[0]"),
        ({"visibility": "everyone"}, "visibility"),
    ],
)
def test_a_bad_profile_is_refused_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidFieldError) as refused:
        career_profile(**changes)
    assert refused.value.field == field


# --- The needs assessment -------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"needs": {"astrology": {"level": "some"}}}, "needs.astrology"),
        ({"needs": {"child_care": {"level": "desperate"}}}, "needs.child_care.level"),
        ({"needs": {"child_care": {"level": 3}}}, "needs.child_care.level"),
        (
            {"needs": {"child_care": {"level": "some", "text": "z" * 5_001}}},
            "needs.child_care.text",
        ),
        ({"country": "USA"}, "country"),
        ({"preferred_format": "telepathy"}, "preferred_format"),
        ({"languages": ["english language"]}, "languages[0]"),
    ],
)
def test_a_bad_assessment_is_refused_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidFieldError) as refused:
        needs_assessment(**changes)
    assert refused.value.field == field


# --- The candidate ----------------------------------------------------------------


def test_only_a_candidate_has_a_career_record() -> None:
    with pytest.raises(InvalidFieldError):
        Candidate.register(uuid4(), ["NPO"])


def test_the_first_assessment_completes_onboarding_and_earns_a_badge() -> None:
    candidate = registered()
    assert (candidate.status, candidate.onboarding) == (
        CandidateStatus.REGISTERED,
        OnboardingStatus.PENDING,
    )

    candidate.complete_assessment(needs_assessment())

    # Check the status, onboarding and the badge follow.
    assert candidate.status is CandidateStatus.ASSESSED
    assert candidate.onboarding is OnboardingStatus.COMPLETE
    assert candidate.badges == [BadgeKind.ASSESSMENT_COMPLETED.value]

    # Check a retake keeps the first in the history and earns no second badge.
    candidate.complete_assessment(needs_assessment(preferred_format="in_person"))
    assert len(candidate.assessments) == 2
    latest = candidate.latest_assessment
    assert latest is not None
    assert latest.preferred_format.value == "in_person"
    assert latest.most_urgent_categories() == ("resume_writing", "child_care")
    earned = [
        e for e in candidate.collect_events() if isinstance(e, Candidate.BadgeEarned)
    ]
    assert len(earned) == 1


def test_the_badge_hook_awards_each_kind_once() -> None:
    candidate = registered()
    candidate.earn_badge(BadgeKind.FIRST_ITEM_APPROVED)
    candidate.earn_badge(BadgeKind.FIRST_ITEM_APPROVED)
    candidate.earn_badge(BadgeKind.ROADMAP_COMPLETED)
    assert candidate.badges == ["first_item_approved", "roadmap_completed"]


def test_an_unchanged_profile_records_nothing() -> None:
    candidate = registered()
    candidate.update_profile(career_profile())
    candidate.update_profile(career_profile())
    updates = [
        e for e in candidate.collect_events() if isinstance(e, Candidate.ProfileUpdated)
    ]
    assert len(updates) == 1
    assert candidate.profile == career_profile()
    assert candidate.visibility is Visibility.MENTORS


def test_the_profile_and_assessment_are_personal_fields() -> None:
    assert Candidate.ProfileUpdated.personal_fields == frozenset({"profile"})
    assert Candidate.AssessmentCompleted.personal_fields == frozenset({"assessment"})


def test_an_erased_candidate_keeps_nothing_and_changes_no_more() -> None:
    candidate = registered()
    candidate.update_profile(career_profile())
    candidate.complete_assessment(needs_assessment())

    candidate.erase()
    candidate.erase()  # again: nothing more

    erasures = [
        e for e in candidate.collect_events() if isinstance(e, Candidate.Erased)
    ]
    assert len(erasures) == 1
    assert candidate.erased
    assert candidate.profile is None
    assert candidate.latest_assessment is None
    with pytest.raises(GoneError):
        candidate.update_profile(career_profile(headline="Back"))
    with pytest.raises(GoneError):
        candidate.complete_assessment(needs_assessment())


def test_values_read_as_erased_are_no_profile_and_no_assessment() -> None:
    # What a record loaded after the person's key was destroyed holds.
    candidate = registered()
    candidate.profile_state = ERASED
    candidate.assessments = [ERASED]  # type: ignore[list-item]
    assert candidate.profile is None
    assert candidate.latest_assessment is None
