"""Candidates: the career profile (C1), needs assessments (C2), badges and
engagement (#5), and a candidate as an admin or their mentor sees them."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status

from adapters.http.auth import ContainerDep
from adapters.http.careers.reading import (
    FRESH_CANDIDATES,
    FRESH_OWN_RECORD,
    AdminOrMentorDep,
    CandidateDep,
)
from adapters.http.careers.schemas_candidates import (
    AssessmentIn,
    AssessmentPageOut,
    CandidateOut,
    CareerProfileIn,
    CareerRecordOut,
)
from adapters.http.commands import Accepted, ActorDep, DispatchDep
from adapters.http.openapi import CONSISTENCY_TOKEN, links_to
from commands.careers.messages import CompleteAssessment, UpdateCareerProfile
from queries.careers import candidates as q
from queries.cursors import CURSOR_PATTERN, MAX_CURSOR_LENGTH

me_router = APIRouter(prefix="/me", tags=["careers"])
router = APIRouter(prefix="/candidates", tags=["careers"])

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

Cursor = Annotated[
    str | None,
    Query(
        description="next_cursor of the last page",
        pattern=CURSOR_PATTERN,
        max_length=MAX_CURSOR_LENGTH,
    ),
]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]


@me_router.get(
    "/career-profile",
    dependencies=[FRESH_OWN_RECORD],
    responses={404: {"description": "No career record yet."}},
)
def read_career_profile(user: CandidateDep, container: ContainerDep) -> CareerRecordOut:
    """Your career record (CANDIDATE): profile, status, badges and engagement."""
    return CareerRecordOut.of(q.own_record(container.views, str(user.id)))


@me_router.put(
    "/career-profile",
    responses={
        200: {
            "description": "Saved.",
            "links": links_to("GET /me/career-profile", after=CONSISTENCY_TOKEN),
        }
    },
)
def update_career_profile(
    body: CareerProfileIn, user: CandidateDep, actor: ActorDep, dispatch: DispatchDep
) -> Accepted:
    """Replace your career profile (CANDIDATE): what you leave out is cleared.
    ``visibility`` says who else may see it."""
    command = UpdateCareerProfile(
        actor=actor, candidate_id=str(user.id), profile=body.to_value()
    )
    return Accepted.of(dispatch.dispatch(command))


@me_router.post(
    "/assessments",
    status_code=status.HTTP_201_CREATED,
    responses={
        201: {
            "description": "Recorded: it joins your history.",
            "links": links_to(
                "GET /me/assessments",
                "GET /me/career-profile",
                after=CONSISTENCY_TOKEN,
            ),
        }
    },
)
def complete_assessment(
    body: AssessmentIn, user: CandidateDep, actor: ActorDep, dispatch: DispatchDep
) -> Accepted:
    """Complete a needs assessment (CANDIDATE, C2). Earlier ones stay in your
    history; the first completes your onboarding. A mentor covering your most
    urgent needs is assigned, or you wait for the first with room."""
    command = CompleteAssessment(
        actor=actor, candidate_id=str(user.id), assessment=body.to_value()
    )
    return Accepted.of(dispatch.dispatch(command))


@me_router.get("/assessments", dependencies=[FRESH_OWN_RECORD])
def list_assessments(
    user: CandidateDep,
    container: ContainerDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> AssessmentPageOut:
    """Your completed assessments, newest first (CANDIDATE)."""
    page = q.own_assessments(container.views, str(user.id), cursor=cursor, limit=limit)
    return AssessmentPageOut.of(page)


@router.get(
    "/{candidate_id}",
    dependencies=[FRESH_CANDIDATES],
    responses={404: {"description": "No such candidate, or not yours to see."}},
)
def read_candidate(
    candidate_id: UUID, user: AdminOrMentorDep, container: ContainerDep
) -> CandidateOut:
    """A candidate's career record and latest assessment: for admins, and for the
    candidate's assigned mentor when the candidate lets mentors see it."""
    detail = q.candidate_for(
        container.views,
        str(user.id),
        frozenset(str(r) for r in user.roles),
        str(candidate_id),
    )
    return CandidateOut.of_detail(detail)
