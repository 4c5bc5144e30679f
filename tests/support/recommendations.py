"""Helpers for recommendation tests: assessed candidates, their mentors (assigned
by the real mentor assignment, ``tests.support.mentoring.Careers``), and visible
offerings as the search view describes them."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from commands.base import Actor, CommandResult
from commands.careers.messages import CompleteAssessment
from domain.careers.assessment import NeedsAssessment
from domain.careers.values import ROLE_CANDIDATE, ROLE_CAREER_MENTOR
from ports.offering_search import OfferingSummary
from tests.support.mentoring import Careers


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


def assess(careers: Careers, candidate_id: UUID | str, **changes: Any) -> CommandResult:
    """The candidate completes an assessment: a mentor with capacity is assigned
    (the real assignment), or the candidate waits for one."""
    careers.users.add(str(candidate_id), ROLE_CANDIDATE)
    return careers.send(
        CompleteAssessment(
            actor=actor(candidate_id, ROLE_CANDIDATE),
            candidate_id=str(candidate_id),
            assessment=NeedsAssessment.of(**needs(**changes)),
        )
    )


def mentor(careers: Careers) -> tuple[str, Actor]:
    """A mentor covering interview practice joins, and serves whoever waits."""
    mentor_id = careers.mentor(categories=("interview_prep",))
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
