"""Candidates' own career records.

The assessment section is the smallest path to a completed assessment (a mentor is
assigned right after it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from adapters.http.auth import CurrentUser, CurrentUserDep, forbidden
from adapters.http.careers.schemas_candidates import AssessmentIn
from adapters.http.commands import Accepted, ActorDep, DispatchDep
from commands.careers.messages import CompleteAssessment
from domain.careers.values import ROLE_CANDIDATE

me_router = APIRouter(prefix="/me", tags=["candidates"])


def only_candidates(user: CurrentUserDep) -> CurrentUser:
    """Candidates only."""
    if ROLE_CANDIDATE not in {str(r) for r in user.roles}:
        raise forbidden()
    return user


CandidateDep = Annotated[CurrentUser, Depends(only_candidates)]

# --- Assessments (C2) ---------------------------------------------------------------


@me_router.post("/assessments")
def complete_assessment(
    body: AssessmentIn, user: CandidateDep, actor: ActorDep, dispatch: DispatchDep
) -> Accepted:
    """A CANDIDATE completes a needs assessment (earlier ones stay in the history).
    Then a mentor whose expertise covers the most urgent needs is assigned, else
    any mentor with capacity, else the candidate waits in line."""
    command = CompleteAssessment(actor=actor, assessment=body.to_value())
    return Accepted.of(dispatch.dispatch(command))
