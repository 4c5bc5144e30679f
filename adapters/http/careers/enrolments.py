"""An NPO's enrolments and engagement report (NP5, NP6): for its members (NPO)
and admins; anyone else's NPO is not found (404)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from adapters.http.auth import ContainerDep, CurrentUser
from adapters.http.careers.reading import holding
from adapters.http.careers.schemas_enrolments import (
    EngagementOut,
    EnrolmentPage,
    OfferingEngagementOut,
)
from adapters.http.consistency import read_your_writes
from domain.careers.values import ROLE_ADMIN, ROLE_NPO
from projections.careers.candidates import CANDIDATES_PROJECTION
from projections.careers.enrolments import ENROLMENTS_PROJECTION
from queries.careers import enrolments as q
from queries.cursors import CURSOR_PATTERN, MAX_CURSOR_LENGTH

router = APIRouter(prefix="/npos/{npo_id}", tags=["enrolments"])

npos_or_admins = holding(ROLE_NPO, ROLE_ADMIN)
NpoOrAdminDep = Annotated[CurrentUser, Depends(npos_or_admins)]
FRESH_ENROLMENTS = Depends(
    read_your_writes(
        ENROLMENTS_PROJECTION, CANDIDATES_PROJECTION, authorized_by=npos_or_admins
    )
)
Cursor = Annotated[
    str | None,
    Query(
        description="next_cursor of the last page",
        pattern=CURSOR_PATTERN,
        max_length=MAX_CURSOR_LENGTH,
    ),
]
Limit = Annotated[int, Query(ge=1, le=q.MAX_PAGE_SIZE)]


def _viewer(user: CurrentUser) -> q.Viewer:
    return q.Viewer(
        user_id=str(user.id), is_admin=ROLE_ADMIN in {str(r) for r in user.roles}
    )


@router.get(
    "/enrolments",
    dependencies=[FRESH_ENROLMENTS],
    responses={404: {"description": "No such NPO, or not yours."}},
)
def list_enrolments(
    npo_id: UUID,
    user: NpoOrAdminDep,
    container: ContainerDep,
    cursor: Cursor = None,
    limit: Limit = q.DEFAULT_PAGE_SIZE,
) -> EnrolmentPage:
    """Candidates enrolled in the NPO's offerings (an offering item approved on
    their roadmap), the earliest first, with the item's status and progress: by
    name only where the candidate lets NPOs see their career profile, otherwise by
    a stable pseudonym."""
    page = q.npo_enrolments(
        container.views,
        container.npo_members,
        container.people,
        secret=container.settings.pseudonym_key,
        viewer=_viewer(user),
        npo_id=str(npo_id),
        cursor=cursor,
        limit=limit,
    )
    return EnrolmentPage.of(page)


@router.get(
    "/engagement",
    dependencies=[FRESH_ENROLMENTS],
    responses={404: {"description": "No such NPO, or not yours."}},
)
def engagement(
    npo_id: UUID, user: NpoOrAdminDep, container: ContainerDep
) -> EngagementOut:
    """Per offering of the NPO with enrolments: enrolled, not started, in
    progress, completed, withdrawn, the median days to complete, and the feedback
    score (the mean rating and count), shown only from three ratings on."""
    found = q.npo_engagement(
        container.views, container.npo_members, _viewer(user), str(npo_id)
    )
    return EngagementOut(offerings=[OfferingEngagementOut.of(o) for o in found])
