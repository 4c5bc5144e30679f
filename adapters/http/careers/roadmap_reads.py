"""Reading a roadmap (#4, C6): your own, or a mentee's for their mentor (admins
read any); as it is now or as it stood at a moment; and its progress over time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from fastapi import APIRouter, Depends, Query

from adapters.bootstrap import Container
from adapters.http.auth import ContainerDep
from adapters.http.careers.reading import (
    AdminOrMentorDep,
    CandidateDep,
    admins_or_mentors,
    only_candidates,
)
from adapters.http.careers.schemas_roadmap_reads import (
    ProgressHistoryOut,
    ProgressPointOut,
    RoadmapOut,
)
from adapters.http.consistency import (
    ConsistencyToken,
    consistency_token,
    views_or_record,
)
from commands.careers.application import CareersApplication
from domain.careers.roadmap import Roadmap
from projections.careers.roadmap_document import (
    RoadmapDocument,
    empty_document,
    roadmap_document,
)
from projections.careers.roadmaps import ROADMAPS_PROJECTION
from queries.careers import roadmaps as q

me_router = APIRouter(prefix="/me/roadmap", tags=["roadmap"])
router = APIRouter(prefix="/candidates", tags=["roadmap"])


# Read-your-writes without waiting: a careers token the views have not reached yet
# is answered from the roadmap's own record (``EventsOfRoadmaps.document_now``).
OwnViewsFresh = Annotated[
    bool,
    Depends(
        views_or_record(
            ROADMAPS_PROJECTION,
            record_source=CareersApplication.name,
            authorized_by=only_candidates,
        )
    ),
]
ViewsFresh = Annotated[
    bool,
    Depends(
        views_or_record(
            ROADMAPS_PROJECTION,
            record_source=CareersApplication.name,
            authorized_by=admins_or_mentors,
        )
    ),
]
TokenDep = Annotated[ConsistencyToken | None, Depends(consistency_token)]
AsOf = Annotated[
    str | None,
    Query(
        max_length=40,
        pattern=q.MOMENT_PATTERN,
        description="A past moment (ISO 8601, e.g. 2026-01-31T12:00:00Z; UTC "
        "without an offset): the roadmap as it stood then, from its events.",
    ),
]


class EventsOfRoadmaps:
    """A candidate's roadmap events from the careers event store."""

    def __init__(self, container: Container) -> None:
        self._app = container.application(CareersApplication)

    def events(self, candidate_id: str) -> Sequence[Any]:
        return list(self._app.events.get(Roadmap.id_for(candidate_id)))

    def document_now(self, candidate_id: str, position: int) -> RoadmapDocument:
        """The roadmap as its record holds it now (at least at ``position``)."""
        try:
            found: object = self._app.repository.get(Roadmap.id_for(candidate_id))
        except AggregateNotFoundError:
            return empty_document(candidate_id)
        if not isinstance(found, Roadmap) or found.erased:
            return empty_document(candidate_id)
        return roadmap_document(found, position)


def _read(
    container: Container,
    candidate_id: str,
    as_of: str | None,
    token: ConsistencyToken | None,
    views_fresh: bool,
) -> RoadmapDocument:
    if as_of is not None:
        moment = q.parse_moment(as_of)
        return q.roadmap_as_of(EventsOfRoadmaps(container), candidate_id, moment)
    if token is not None and not views_fresh:
        return EventsOfRoadmaps(container).document_now(candidate_id, token.position)
    wanted = q.Wanted(token.source, token.position) if token else None
    return container.roadmap_reads.document(candidate_id, wanted)


@me_router.get("")
def read_own_roadmap(
    user: CandidateDep,
    container: ContainerDep,
    token: TokenDep,
    views_fresh: OwnViewsFresh,
    as_of: AsOf = None,
) -> RoadmapOut:
    """Your roadmap (CANDIDATE): its status and progress, the items on it by
    priority (status, percentage, modules, deadlines, time in each status), the
    items waiting for a decision, declined and withdrawn apart, and your feedback.
    ``as_of`` answers it as it stood at that moment (422 for a moment to come)."""
    return RoadmapOut.of(_read(container, str(user.id), as_of, token, views_fresh))


@me_router.get("/progress-history")
def read_own_progress_history(
    user: CandidateDep, container: ContainerDep
) -> ProgressHistoryOut:
    """Your roadmap's progress over time (CANDIDATE): the percentage after each
    change of it, from 0 when the roadmap began; empty before it has."""
    points = q.progress_history(EventsOfRoadmaps(container), str(user.id))
    return ProgressHistoryOut(points=[ProgressPointOut.of(p) for p in points])


@router.get(
    "/{candidate_id}/roadmap",
    responses={404: {"description": "No such candidate, or not your mentee."}},
)
def read_candidate_roadmap(
    *,
    candidate_id: UUID,
    user: AdminOrMentorDep,
    container: ContainerDep,
    token: TokenDep,
    views_fresh: ViewsFresh,
    as_of: AsOf = None,
) -> RoadmapOut:
    """A candidate's roadmap, as they see it, feedback included: for their
    assigned mentor, and for admins. ``as_of`` as on ``GET /me/roadmap``."""
    q.may_read(
        container.views,
        str(user.id),
        frozenset(str(r) for r in user.roles),
        str(candidate_id),
    )
    return RoadmapOut.of(_read(container, str(candidate_id), as_of, token, views_fresh))
