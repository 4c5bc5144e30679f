"""Whatever a candidate does, in any order, the candidates view says what their
record says: profile, status, onboarding, badges, engagement counts and the
history of assessments; an erased candidate is in no table."""

from __future__ import annotations

from uuid import UUID

import pytest
from eventsourcing.application import AggregateNotFoundError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands.base import Actor
from commands.careers.messages import (
    CompleteAssessment,
    EraseCandidate,
    UpdateCareerProfile,
)
from domain.base import GoneError, NotFoundError
from domain.careers.candidate import Candidate
from queries.careers.candidates import own_assessments, own_record
from tests.support.careers_candidates import (
    Careers,
    candidate,
    career_profile,
    needs_assessment,
)

profiles = st.builds(
    lambda headline, visibility, skills: ("profile", headline, visibility, skills),
    st.sampled_from(["Analyst", "Baker", None]),
    st.sampled_from(["private", "mentors", "npos"]),
    st.lists(st.sampled_from(["SQL", "Excel", "sql", "Welding"]), max_size=3),
)
assessments = st.builds(
    lambda level, format_: ("assessment", level, format_),
    st.sampled_from(["none", "some", "urgent"]),
    st.sampled_from(["online", "in_person", "either"]),
)
erasures = st.just(("erase",))


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(st.one_of(profiles, assessments, erasures), max_size=8))
def test_the_view_says_what_the_record_says(steps: list[tuple[object, ...]]) -> None:
    careers = Careers()
    try:
        ada = candidate()
        for step in steps:
            _take(careers, ada, step)
        careers.catch_up()
        _check(careers, ada)
    finally:
        careers.close()


def _take(careers: Careers, ada: Actor, step: tuple[object, ...]) -> None:
    kind = step[0]
    try:
        if kind == "profile":
            _, headline, visibility, skills = step
            profile = career_profile(
                headline=headline, visibility=visibility, skills=skills
            )
            careers.send(
                UpdateCareerProfile(
                    actor=ada, candidate_id=ada.user_id, profile=profile
                )
            )
        elif kind == "assessment":
            _, level, format_ = step
            assessment = needs_assessment(
                needs={"child_care": {"level": level}}, preferred_format=format_
            )
            careers.send(
                CompleteAssessment(
                    actor=ada, candidate_id=ada.user_id, assessment=assessment
                )
            )
        else:
            careers.send(
                EraseCandidate(actor=Actor.system("t"), candidate_id=ada.user_id)
            )
    except GoneError:
        pass  # erased: nothing changes any more


def _check(careers: Careers, ada: Actor) -> None:
    try:
        record: object = careers.app.repository.get(UUID(ada.user_id))
    except AggregateNotFoundError:  # no career action at all
        record = None
    history = own_assessments(careers.views, ada.user_id, cursor=None, limit=100)
    if record is None or (isinstance(record, Candidate) and record.erased):
        with pytest.raises(NotFoundError):
            own_record(careers.views, ada.user_id)
        assert history.items == []
        return
    assert isinstance(record, Candidate)
    row = own_record(careers.views, ada.user_id)
    assert row.profile == record.profile
    assert row.visibility is record.visibility
    assert (row.status, row.onboarding) == (record.status, record.onboarding)
    assert [b.kind.value for b in row.badges] == record.badges
    assert row.engagement.assessments_taken == len(record.assessments)
    assert [a.number for a in history.items] == list(
        range(len(record.assessments), 0, -1)
    )
    if record.assessments:
        assert history.items[0].assessment == record.latest_assessment
    assert row.engagement.days_active >= 1  # they acted, today (or since midnight)
