"""Request and response bodies of the mentor, mentee, queue and policy routes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from adapters.http.text import TextField
from commands.base import JSON_INTEGER, JsonInt
from domain.careers.assessment import LANGUAGE, MAX_LANGUAGES
from domain.careers.mentor import MAX_MENTEE_CAP, MentorProfile
from domain.careers.mentor_assignment import REASONS
from domain.tagging import CATEGORIES_OF_NEED, MAX_TAGS, TAG
from projections.careers.mentors import MentorRow, WaitingRow
from queries.careers.mentors import MenteeProgress

STRICT = ConfigDict(extra="forbid")

# A category of need of #2, by slug.
Category = Literal[
    "resume_writing",
    "interview_prep",
    "business_attire",
    "apprenticeship_registration",
    "training_program_registration",
    "college_university_registration",
    "grocery_meals",
    "rent_housing",
    "child_care",
    "mentorship",
]
assert set(Category.__args__) == set(CATEGORIES_OF_NEED)  # type: ignore[attr-defined]

Tag = Annotated[str, TextField(TAG)]
Language = Annotated[str, TextField(LANGUAGE)]


class MentorProfileIn(BaseModel):
    """What a mentor helps with; their cap is set by admins."""

    model_config = STRICT
    categories: list[Category] = Field(
        min_length=1,
        max_length=len(CATEGORIES_OF_NEED),
        description="Categories of need (#2) the mentor covers.",
    )
    expertise_tags: list[Tag] = Field(
        default_factory=list, max_length=MAX_TAGS, description="Free expertise tags."
    )
    languages: list[Language] = Field(
        default_factory=list,
        max_length=MAX_LANGUAGES,
        description="Languages the mentor mentors in (en, es, pt-BR...).",
    )

    def to_value(self) -> MentorProfile:
        return MentorProfile.of(
            categories=list(self.categories),
            expertise_tags=list(self.expertise_tags),
            languages=list(self.languages),
        )


class MentorOut(BaseModel):
    mentor_id: str
    categories: list[str]
    expertise_tags: list[str]
    languages: list[str]
    mentee_cap: int | None = Field(description="Their own cap, if an admin set one.")
    effective_cap: int = Field(description="Their own cap, else the default.")
    active_mentees: int
    active: bool = Field(description="False once they left or lost the role.")

    @classmethod
    def of(cls, row: MentorRow) -> MentorOut:
        return cls(
            mentor_id=row.mentor_id,
            categories=list(row.categories),
            expertise_tags=list(row.expertise_tags),
            languages=list(row.languages),
            mentee_cap=row.mentee_cap,
            effective_cap=row.effective_cap,
            active_mentees=row.active_mentees,
            active=row.active,
        )


class AwaitingApprovalOut(BaseModel):
    count: int
    item_ids: list[str] = Field(description="Oldest request first.")


class MenteeOut(BaseModel):
    candidate_id: str
    reason: str = Field(
        description=f"Why this mentor was chosen: one of {', '.join(REASONS)}."
    )
    assigned_at: str
    percent: float = Field(
        description="The roadmap's progress in percent (one decimal); 0 without one."
    )
    roadmap_status: str = Field(
        description="NOT_STARTED, IN_PROGRESS or COMPLETED (derived from the items)."
    )
    last_activity_at: str | None = Field(
        description="The roadmap's last change; null without a roadmap."
    )
    awaiting_approval: AwaitingApprovalOut = Field(
        description="Items the mentee asked for, waiting for your decision."
    )
    stalled: bool = Field(description="Items still open and no progress for 14 days.")

    @classmethod
    def of(cls, found: MenteeProgress) -> MenteeOut:
        row, roadmap = found.mentee, found.roadmap
        waiting = list(roadmap.awaiting_approval) if roadmap else []
        return cls(
            candidate_id=row.candidate_id,
            reason=row.reason,
            assigned_at=row.assigned_at,
            percent=float(roadmap.percent) if roadmap else 0.0,
            roadmap_status=roadmap.status if roadmap else "NOT_STARTED",
            last_activity_at=roadmap.last_activity_at if roadmap else None,
            awaiting_approval=AwaitingApprovalOut(count=len(waiting), item_ids=waiting),
            stalled=found.stalled,
        )


class WaitingOut(BaseModel):
    position: int = Field(description="1 is served first.")
    candidate_id: str
    since: str = Field(description="When they completed the assessment.")

    @classmethod
    def of(cls, row: WaitingRow) -> WaitingOut:
        return cls(
            position=row.position, candidate_id=row.candidate_id, since=row.since
        )


class MentorPage(BaseModel):
    items: list[MentorOut]
    next_cursor: str | None


class WaitingPage(BaseModel):
    items: list[WaitingOut]
    next_cursor: str | None


class MentorCapIn(BaseModel):
    model_config = STRICT
    mentee_cap: Annotated[int, Field(ge=0, le=MAX_MENTEE_CAP), JSON_INTEGER] | None = (
        Field(description="null: the platform default applies.")
    )


class CareersPolicyIO(BaseModel):
    model_config = STRICT
    mentee_cap: JsonInt = Field(
        ge=1, le=MAX_MENTEE_CAP, description="Default active mentees per mentor."
    )
