"""The careers context's views the composition root runs where careers runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from projections.careers.candidates import CandidatesView
from projections.careers.enrolments import EnrolmentsView
from projections.careers.mentors import MentorsView
from projections.careers.recommendations import RecommendationInputs
from projections.careers.roadmaps import RoadmapCache, RoadmapsView, roadmap_loader
from projections.careers.timers import roadmap_timers_for
from projections.contracts import Projection

CAREERS = "careers"


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
        EnrolmentsView.bound(load),
        *roadmap_timers_for(applications),
        RoadmapsView.bound(load),
        RoadmapCache.bound(load),
    ]
