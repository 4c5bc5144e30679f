"""Response bodies of an NPO's enrolments and engagement report (NP5, NP6)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from domain.careers.roadmap_items import ItemStatus
from queries.careers.enrolments import (
    MIN_RATINGS,
    Enrolment,
    FeedbackScore,
    OfferingEngagement,
)
from queries.careers.mentors import Page


class EnrolmentOut(BaseModel):
    """A candidate enrolled in one of the NPO's offerings."""

    name: str | None = Field(
        description="The candidate's name, only if their career profile is visible "
        "to NPOs; otherwise null and `pseudonym` is set."
    )
    pseudonym: str | None = Field(
        description="A stable pseudonym for this NPO (e.g. 'Candidate 7F3A9C21') when "
        "the name is not shown."
    )
    offering_id: str
    item_id: str
    status: ItemStatus
    percent: float = Field(description="The item's progress, one decimal (e.g. 66.7).")
    done_modules: int
    total_modules: int
    enrolled_at: str
    completed_at: str | None
    withdrawn_at: str | None

    @classmethod
    def of(cls, enrolment: Enrolment) -> EnrolmentOut:
        row = enrolment.row
        return cls(
            name=enrolment.name,
            pseudonym=enrolment.pseudonym,
            offering_id=row.offering_id,
            item_id=row.item_id,
            status=row.status,
            percent=float(row.percent),
            done_modules=row.done_modules,
            total_modules=row.total_modules,
            enrolled_at=row.enrolled_at,
            completed_at=row.completed_at,
            withdrawn_at=row.withdrawn_at,
        )


class EnrolmentPage(BaseModel):
    items: list[EnrolmentOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[Enrolment]) -> EnrolmentPage:
        return cls(
            items=[EnrolmentOut.of(e) for e in page.items],
            next_cursor=page.next_cursor,
        )


class FeedbackScoreOut(BaseModel):
    mean: float = Field(description="The mean rating (1 to 5), one decimal.")
    count: int = Field(description=f"How many ratings (at least {MIN_RATINGS}).")

    @classmethod
    def of(cls, score: FeedbackScore | None) -> FeedbackScoreOut | None:
        return None if score is None else cls(mean=float(score.mean), count=score.count)


class OfferingEngagementOut(BaseModel):
    offering_id: str
    enrolled: int = Field(description="Every enrolment, withdrawn ones included.")
    not_started: int
    in_progress: int
    completed: int
    withdrawn: int
    median_days_to_complete: float | None = Field(
        description="From enrolment to completion, one decimal; null before any "
        "completion."
    )
    feedback: FeedbackScoreOut | None = Field(
        description=f"Candidates' ratings of the offering, only from {MIN_RATINGS} "
        "ratings on (no single candidate's rating is shown)."
    )

    @classmethod
    def of(cls, found: OfferingEngagement) -> OfferingEngagementOut:
        median = found.median_days_to_complete
        return cls(
            offering_id=found.offering_id,
            enrolled=found.enrolled,
            not_started=found.not_started,
            in_progress=found.in_progress,
            completed=found.completed,
            withdrawn=found.withdrawn,
            median_days_to_complete=None if median is None else float(median),
            feedback=FeedbackScoreOut.of(found.feedback),
        )


class EngagementOut(BaseModel):
    offerings: list[OfferingEngagementOut] = Field(
        description="The NPO's offerings with enrolments, by offering id."
    )
