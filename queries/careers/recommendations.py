"""A candidate's recommendations (#2, #6, CM4), computed on each read from two views.

1. careers' views (read by ``projections.careers.recommendations``): the
   candidate's latest needs assessment (the candidates view) and their mentor's
   suggestions;
2. the offering search view (``ports.offering_search.OfferingSearch``): the visible
   offerings in the needed categories or carrying the candidate's words
   (``matching``), and which suggested offerings are still visible (``get``).

The ``Recommender`` ranks the first; the mentor's suggestions come first, newest
first, marked as theirs (with the model's reason too when it also picked them). At
most ``limit`` in all. Nothing is stored per candidate and offering, so a new
assessment, an offering published or changed, taken down or deleted, an NPO
deleted, shows in the next read, once the two views have it.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.careers.recommendation import (
    OfferingTraits,
    Reason,
    Recommender,
)
from domain.careers.values import MeetingFormat
from ports.offering_search import OfferingSearch, OfferingSummary
from ports.relational import RelationalStore
from projections.careers.recommendations import (
    CandidateNeedsRow,
    RecommendationInputsReader,
    SuggestionRow,
)

# How many visible offerings the model is given to rank, at most.
POOL = 300


@dataclass(frozen=True)
class RecommendedOffering:
    offering: OfferingSummary
    # The model's score and reason; None for a suggestion the model did not pick.
    score: float | None
    reason: Reason | None
    # The mentor's suggestion, when it is one.
    suggestion: SuggestionRow | None


@dataclass(frozen=True)
class Recommendations:
    items: tuple[RecommendedOffering, ...]
    # Which assessment they answer (None before the first).
    assessment_number: int | None
    assessed_at: str | None


def traits_of(offering: OfferingSummary) -> OfferingTraits:
    """What the model knows of a visible offering (the search view does not say
    its languages)."""
    try:
        form = MeetingFormat(offering.format)
    except ValueError:
        form = MeetingFormat.EITHER
    return OfferingTraits(
        offering_id=offering.offering_id,
        categories=offering.categories,
        tags=offering.tags,
        region=offering.region,
        country=offering.country,
        format=form,
    )


def recommend(
    needs: CandidateNeedsRow,
    search: OfferingSearch,
    recommender: Recommender,
    limit: int,
) -> Recommendations:
    """The mentor's visible suggestions first, then the model's picks."""
    ranked = []
    pool: dict[str, OfferingSummary] = {}
    if needs.assessment is not None:
        wanted = recommender.wanted(needs.assessment)
        found = search.matching(wanted.categories, wanted.tags, POOL)
        pool = {o.offering_id: o for o in found}
        ranked = recommender.rank(
            needs.assessment, [traits_of(o) for o in found], limit
        )
    by_model = {r.offering_id: r for r in ranked}
    visible = search.get([s.offering_id for s in needs.suggestions])
    items: list[RecommendedOffering] = []
    for suggestion in needs.suggestions:
        if suggestion.offering_id in visible:
            picked = by_model.get(suggestion.offering_id)
            items.append(
                RecommendedOffering(
                    visible[suggestion.offering_id],
                    picked.score if picked else None,
                    picked.reason if picked else None,
                    suggestion,
                )
            )
    suggested = {item.offering.offering_id for item in items}
    items.extend(
        RecommendedOffering(pool[r.offering_id], r.score, r.reason, None)
        for r in ranked
        if r.offering_id not in suggested
    )
    return Recommendations(
        tuple(items[: max(0, limit)]), needs.assessment_number, needs.assessed_at
    )


def recommendations_for(
    views: RelationalStore,
    search: OfferingSearch,
    recommender: Recommender,
    candidate_id: str,
    limit: int,
) -> Recommendations:
    """The candidate's own recommendations (the caller checks it is them)."""
    needs = RecommendationInputsReader(views).of(candidate_id)
    return recommend(needs, search, recommender, limit)
