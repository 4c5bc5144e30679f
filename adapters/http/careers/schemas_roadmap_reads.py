"""What the roadmap's read routes answer: the roadmap now or as it stood, and its
progress over time."""

from __future__ import annotations

from pydantic import BaseModel, Field

from projections.careers.roadmap_document import (
    FeedbackView,
    ItemView,
    RoadmapDocument,
    StatusSpan,
)
from queries.careers.roadmaps import ProgressPoint


class ModuleOut(BaseModel):
    id: str
    title: str
    due: str | None
    done: bool


class DeadlineOut(BaseModel):
    id: str
    title: str
    due: str


class StatusSpanOut(BaseModel):
    status: str
    since: str
    until: str | None = Field(description="null while the item is still in it.")
    seconds: float | None = Field(description="How long; null while it still is.")

    @classmethod
    def of(cls, span: StatusSpan) -> StatusSpanOut:
        return cls(
            status=span.status,
            since=span.since,
            until=span.until,
            seconds=span.seconds,
        )


class RoadmapItemOut(BaseModel):
    id: str
    kind: str = Field(description="offering or goal.")
    title: str
    description: str | None
    status: str
    percent: float = Field(description="Done modules over modules, one decimal.")
    priority: int | None = Field(
        description="Its place on the roadmap (0 first); null off the roadmap."
    )
    modules: list[ModuleOut]
    deadlines: list[DeadlineOut]
    requested_by: str = Field(description="candidate or mentor (a suggestion).")
    requested_at: str
    approved_at: str | None
    completed_at: str | None
    offering_id: str | None
    offering_version: int | None
    npo_id: str | None
    note: str | None = Field(description="The mentor's note with a suggestion.")
    reason: str | None = Field(description="Why it was declined or withdrawn.")
    time_in_status: list[StatusSpanOut] = Field(
        description="Each status the item has been in, oldest first."
    )

    @classmethod
    def of(cls, item: ItemView) -> RoadmapItemOut:
        return cls(
            id=item.id,
            kind=item.kind,
            title=item.title,
            description=item.description,
            status=item.status,
            percent=float(item.percent),
            priority=item.priority,
            modules=[
                ModuleOut(id=m.id, title=m.title, due=m.due, done=m.done)
                for m in item.modules
            ],
            deadlines=[
                DeadlineOut(id=d.id, title=d.title, due=d.due) for d in item.deadlines
            ],
            requested_by=item.requested_by,
            requested_at=item.requested_at,
            approved_at=item.approved_at,
            completed_at=item.completed_at,
            offering_id=item.offering_id,
            offering_version=item.offering_version,
            npo_id=item.npo_id,
            note=item.note,
            reason=item.reason,
            time_in_status=[StatusSpanOut.of(s) for s in item.history],
        )


class FeedbackOut(BaseModel):
    rating: int
    comment: str | None
    item_ratings: dict[str, int]
    given_at: str
    completion: int = Field(description="Which completion of the roadmap it rates.")

    @classmethod
    def of(cls, feedback: FeedbackView) -> FeedbackOut:
        return cls(
            rating=feedback.rating,
            comment=feedback.comment,
            item_ratings=dict(feedback.item_ratings),
            given_at=feedback.given_at,
            completion=feedback.completion,
        )


class RoadmapOut(BaseModel):
    candidate_id: str
    status: str = Field(
        description="NOT_STARTED, IN_PROGRESS or COMPLETED, derived from the items."
    )
    percent: float = Field(
        description="The mean of the items' percentages on the roadmap (approved, "
        "not withdrawn), one decimal, halves up."
    )
    started_at: str | None
    progressed_at: str | None
    last_activity_at: str | None
    completed_at: str | None
    items: list[RoadmapItemOut] = Field(description="On the roadmap, by priority.")
    waiting: list[RoadmapItemOut] = Field(
        description="Asked for (awaiting approval) or suggested (awaiting you)."
    )
    declined: list[RoadmapItemOut]
    withdrawn: list[RoadmapItemOut]
    feedback: FeedbackOut | None

    @classmethod
    def of(cls, doc: RoadmapDocument) -> RoadmapOut:
        return cls(
            candidate_id=doc.candidate_id,
            status=doc.status,
            percent=float(doc.percent),
            started_at=doc.started_at,
            progressed_at=doc.progressed_at,
            last_activity_at=doc.last_activity_at,
            completed_at=doc.completed_at,
            items=[RoadmapItemOut.of(i) for i in doc.items],
            waiting=[RoadmapItemOut.of(i) for i in doc.waiting],
            declined=[RoadmapItemOut.of(i) for i in doc.declined],
            withdrawn=[RoadmapItemOut.of(i) for i in doc.withdrawn],
            feedback=FeedbackOut.of(doc.feedback) if doc.feedback else None,
        )


class ProgressPointOut(BaseModel):
    at: str
    percent: float

    @classmethod
    def of(cls, point: ProgressPoint) -> ProgressPointOut:
        return cls(at=point.at.isoformat(), percent=float(point.percent))


class ProgressHistoryOut(BaseModel):
    points: list[ProgressPointOut] = Field(
        description="The percentage after each change of it, oldest first."
    )
