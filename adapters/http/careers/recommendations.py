"""A candidate's recommendations (#2, #6) and their mentor's suggestions (CM4)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from adapters.http.auth import ContainerDep, CurrentUser
from adapters.http.careers.reading import CandidateDep, holding, only_candidates
from adapters.http.careers.schemas_recommendations import (
    RecommendationsOut,
    SuggestionIn,
)
from adapters.http.commands import Accepted, ActorDep, DispatchDep
from adapters.http.consistency import read_your_writes
from commands.careers.messages import SuggestOffering
from domain.careers.recommendation import MAX_LIMIT
from domain.careers.values import ROLE_CAREER_MENTOR
from ports.offering_search import OFFERING_SEARCH_VIEW
from projections.careers.candidates import CANDIDATES_PROJECTION
from projections.careers.recommendations import RECOMMENDATIONS_PROJECTION
from queries.careers.recommendations import recommendations_for

router = APIRouter(tags=["recommendations"])


only_mentors = holding(ROLE_CAREER_MENTOR)
MentorDep = Annotated[CurrentUser, Depends(only_mentors)]

# The views the query reads: careers' (a careers token: the latest assessment, the
# mentor's suggestions) and the offering search view (an onboarding token: an
# offering published, taken down, an NPO deleted).
FRESH_RECOMMENDATIONS = Depends(
    read_your_writes(
        CANDIDATES_PROJECTION,
        RECOMMENDATIONS_PROJECTION,
        OFFERING_SEARCH_VIEW,
        authorized_by=only_candidates,
    )
)


@router.get("/me/recommendations", dependencies=[FRESH_RECOMMENDATIONS])
def read_recommendations(
    user: CandidateDep,
    container: ContainerDep,
    limit: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_LIMIT,
            description="At most this many (capped by the "
            "platform's setting, 10 by default).",
        ),
    ] = None,
) -> RecommendationsOut:
    """The candidate's own recommendations: visible offerings ranked for their
    latest needs assessment, each with the reason it matched, their mentor's
    suggestions first. Computed on each read from careers' view and the offering
    search view, so a taken-down offering or a deleted NPO is gone at once."""
    cap = container.settings.recommendations_limit
    found = recommendations_for(
        container.views,
        container.offering_search,
        container.recommender,
        str(user.id),
        min(limit or cap, cap),
    )
    return RecommendationsOut.of(found)


@router.post("/candidates/{candidate_id}/suggestions")
def suggest_offering(
    candidate_id: UUID,
    body: SuggestionIn,
    user: MentorDep,
    actor: ActorDep,
    dispatch: DispatchDep,
) -> Accepted:
    """A mentor suggests a visible offering to their own mentee (CM4); it shows
    first in the mentee's recommendations, marked as the mentor's. Anyone else's
    candidate is not found (404)."""
    command = SuggestOffering(
        actor=actor,
        candidate_id=candidate_id,
        offering_id=str(body.offering_id),
        note=body.note,
    )
    return Accepted.of(dispatch.dispatch(command))
