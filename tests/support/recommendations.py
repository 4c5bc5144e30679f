"""Helpers for recommendation tests: assessed candidates, a mentor assigned, and
visible offerings.

``assign_mentor`` records ``MentorAssignedForTest``, a stand-in for the mentor
assignment event, on the candidate (setting ``Candidate.mentor_id`` the way the real
one does); once the real assignment exists, use it instead.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from adapters.embedded.views import SqliteRelationalStore
from adapters.identity.data_keys import SqlPersonalDataVault
from commands.base import Actor, CommandResult
from commands.careers.application import CareersApplication, UnitOfWork, run
from domain.base import SpotlightAggregate
from domain.careers.assessment import NeedsAssessment
from domain.careers.candidate import Candidate
from domain.careers.values import ROLE_CANDIDATE, ROLE_CAREER_MENTOR, CandidateStatus
from ports.offering_search import OfferingSummary


class MentorAssignedForTest(SpotlightAggregate.Event):
    """Stands in for the mentor assignment: the candidate's mentor is set."""

    mentor_id: str

    def apply(self, aggregate: Any) -> None:
        aggregate.mentor_id = self.mentor_id
        aggregate.status = CandidateStatus.MENTORED


def careers_application() -> CareersApplication:
    """The careers application on POPO, its keys in an in-memory SQLite vault."""
    vault = SqlPersonalDataVault(SqliteRelationalStore(None))
    return CareersApplication(
        env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, vault=vault
    )


def actor(user_id: UUID | str, *roles: str) -> Actor:
    return Actor(user_id=str(user_id), roles=frozenset(roles), correlation_id="test")


def needs(**changes: Any) -> dict[str, Any]:
    """An assessment's fields: urgent interview practice in Chicago, in person."""
    fields: dict[str, Any] = {
        "needs": {
            "interview_prep": {"level": "urgent", "text": "Mock interviews please"},
            "child_care": {"level": "some"},
        },
        "region": "Illinois",
        "country": "US",
        "preferred_format": "in_person",
        "languages": ["en"],
    }
    return {**fields, **changes}


def assess(
    app: CareersApplication, candidate_id: UUID | str, **changes: Any
) -> CommandResult:
    """The candidate (registered on first use) completes an assessment."""
    assessment = NeedsAssessment.of(**needs(**changes))

    def decide(unit: UnitOfWork) -> None:
        found = unit.find(Candidate, candidate_id)
        if found is None:
            found = unit.add(Candidate.register(candidate_id, [ROLE_CANDIDATE]))
        found.complete_assessment(assessment)

    return run(app, actor(candidate_id, ROLE_CANDIDATE), decide)


def assign_mentor(
    app: CareersApplication, candidate_id: UUID | str, mentor_id: UUID | str
) -> CommandResult:
    def decide(unit: UnitOfWork) -> None:
        unit.candidate(candidate_id).trigger_event(
            MentorAssignedForTest, mentor_id=str(mentor_id)
        )

    return run(app, Actor.system("test"), decide)


def mentor() -> tuple[str, Actor]:
    mentor_id = str(uuid4())
    return mentor_id, actor(mentor_id, ROLE_CAREER_MENTOR)


def summary(offering_id: str | None = None, **changes: Any) -> OfferingSummary:
    """A visible offering: in-person interview practice in Chicago."""
    fields: dict[str, Any] = {
        "offering_id": offering_id or str(uuid4()),
        "npo_id": str(uuid4()),
        "npo_name": "Pilsen Workforce Alliance",
        "title": "Mock interviews",
        "summary": "Practise with volunteer recruiters.",
        "categories": ("interview_prep",),
        "tags": ("mock-interview",),
        "region": "Illinois",
        "country": "US",
        "format": "in_person",
        "community_ids": (),
        "next_deadline": None,
        "published_at": "2026-01-01T00:00:00+00:00",
    }
    return OfferingSummary(**{**fields, **changes})
