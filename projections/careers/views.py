"""The careers context's views the composition root runs where careers runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.careers.roadmap import Roadmap
from projections.careers.candidates import CandidatesView
from projections.careers.mentors import MentorsView
from projections.careers.recommendations import RecommendationInputs
from projections.careers.roadmaps import RoadmapCache, RoadmapLoader, RoadmapsView
from projections.contracts import Projection

CAREERS = "careers"


def roadmap_loader(application: Any) -> RoadmapLoader:
    """Roadmaps as they are now, from the careers application's repository."""

    def load(roadmap_id: UUID) -> Roadmap | None:
        try:
            found = application.repository.get(roadmap_id)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, Roadmap) else None

    return load


def careers_projections(
    applications: Mapping[str, object],
) -> Sequence[type[Projection]]:
    """Every careers view, where the careers application runs; none elsewhere."""
    if CAREERS not in applications:
        return []
    load = roadmap_loader(applications[CAREERS])
    return [
        CandidatesView,
        MentorsView,
        RecommendationInputs,
        RoadmapsView.bound(load),
        RoadmapCache.bound(load),
    ]
