"""Request and response bodies of recommendations and mentors' suggestions."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from adapters.http.text import OptionalShortText
from domain.careers.recommendation import Reason
from projections.careers.recommendations import SuggestionRow
from queries.careers.recommendations import Recommendations, RecommendedOffering


class SuggestionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    offering_id: UUID = Field(description="A visible offering (GET /offerings).")
    note: OptionalShortText | None = Field(
        default=None, description="Why, in the mentor's words (shown to the mentee)."
    )


class NeedOut(BaseModel):
    category: str
    level: Literal["some", "urgent"]


class ReasonOut(BaseModel):
    """Why the model picked the offering."""

    needs: list[NeedOut] = Field(description="The candidate's needs it serves.")
    tags: list[str] = Field(description="Its tags the candidate's own words name.")
    location: Literal["same_region", "same_country", "online"] | None = Field(
        description="How the candidate can take part (None when not known)."
    )
    format: str | None = Field(
        description="Its format, when it suits the candidate's preferred one."
    )
    languages: list[str] = Field(description="Languages the candidate shares with it.")

    @classmethod
    def of(cls, reason: Reason) -> ReasonOut:
        return cls(
            needs=[
                NeedOut(category=n.category, level=n.level.value) for n in reason.needs
            ],
            tags=list(reason.tags),
            location=reason.location,
            format=reason.format,
            languages=list(reason.languages),
        )


class SuggestedOut(BaseModel):
    """The mentor's suggestion."""

    mentor_id: str
    note: str | None
    suggested_at: str

    @classmethod
    def of(cls, suggestion: SuggestionRow) -> SuggestedOut:
        return cls(
            mentor_id=suggestion.mentor_id,
            note=suggestion.note,
            suggested_at=suggestion.suggested_at,
        )


class RecommendationOut(BaseModel):
    offering_id: str
    title: str
    summary: str | None
    npo_id: str
    npo_name: str
    categories: list[str]
    tags: list[str]
    region: str | None
    country: str | None
    format: str
    next_deadline: str | None
    source: Literal["mentor", "model"] = Field(
        description="'mentor': the candidate's mentor suggested it."
    )
    score: float | None = Field(description="The model's score (None: not picked).")
    reason: ReasonOut | None = Field(description="Why the model picked it.")
    suggested_by: SuggestedOut | None

    @classmethod
    def of(cls, item: RecommendedOffering) -> RecommendationOut:
        offering = item.offering
        return cls(
            offering_id=offering.offering_id,
            title=offering.title,
            summary=offering.summary,
            npo_id=offering.npo_id,
            npo_name=offering.npo_name,
            categories=list(offering.categories),
            tags=list(offering.tags),
            region=offering.region,
            country=offering.country,
            format=offering.format,
            next_deadline=offering.next_deadline,
            source="mentor" if item.suggestion else "model",
            score=item.score,
            reason=ReasonOut.of(item.reason) if item.reason else None,
            suggested_by=SuggestedOut.of(item.suggestion) if item.suggestion else None,
        )


class RecommendationsOut(BaseModel):
    items: list[RecommendationOut] = Field(
        description="The mentor's suggestions first (newest first), then the "
        "model's picks, best first."
    )
    assessment_number: int | None = Field(
        description="The assessment they answer (None: no assessment yet)."
    )
    assessed_at: str | None

    @classmethod
    def of(cls, found: Recommendations) -> RecommendationsOut:
        return cls(
            items=[RecommendationOut.of(i) for i in found.items],
            assessment_number=found.assessment_number,
            assessed_at=found.assessed_at,
        )
