"""Request and response bodies of the candidate routes: the career profile (C1),
needs assessments (C2), badges and engagement (#5).

Requests check types and sizes; the domain's values check meaning when a body is
turned into one (``to_value``: 422 naming the field, e.g. ``needs.<slug>``).
Responses are built from the candidates view's typed rows.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from adapters.http.text import (
    CountryCode,
    Name,
    OptionalLongText,
    OptionalShortText,
    ShortText,
    TextField,
    WebUrl,
)
from commands.base import JSON_INTEGER
from domain.careers.assessment import LANGUAGE, MAX_LANGUAGES, NeedsAssessment
from domain.careers.badges import BADGE_TITLES, BadgeKind
from domain.careers.profile import (
    FIRST_YEAR,
    LAST_YEAR,
    MAX_ACHIEVEMENTS,
    MAX_EDUCATION,
    MAX_LINKS,
    MAX_SKILLS,
    MAX_WORK_HISTORY,
    CareerProfile,
    Education,
    WorkExperience,
)
from domain.careers.values import (
    CandidateStatus,
    MeetingFormat,
    NeedLevel,
    OnboardingStatus,
    Visibility,
)
from domain.tagging import CATEGORIES_OF_NEED
from domain.text import NAME, TITLE
from projections.careers.candidates import AssessmentRow, CandidateRow
from queries.careers.candidates import AssessmentPage, CandidateDetail

STRICT = ConfigDict(extra="forbid")

OptionalTitle = Annotated[str, TextField(TITLE, required=False)]
OptionalName = Annotated[str, TextField(NAME, required=False)]
Year = Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR), JSON_INTEGER]
Language = Annotated[str, TextField(LANGUAGE)]
# A category of need as a key of ``needs`` (an unknown one is refused by name).
Category = Annotated[str, Field(max_length=50)]


# --- The career profile -------------------------------------------------------------


class EducationIn(BaseModel):
    model_config = STRICT
    institution: Name
    qualification: OptionalTitle | None = None
    field_of_study: OptionalName | None = None
    start_year: Year | None = None
    end_year: Year | None = Field(default=None, description="None: ongoing.")

    def to_value(self) -> Education:
        return Education(
            institution=self.institution,
            qualification=self.qualification,
            field_of_study=self.field_of_study,
            start_year=self.start_year,
            end_year=self.end_year,
        )


class WorkIn(BaseModel):
    model_config = STRICT
    employer: Name
    title: Annotated[str, TextField(TITLE)]
    start_year: Year | None = None
    end_year: Year | None = Field(default=None, description="None: current.")
    description: OptionalLongText | None = None

    def to_value(self) -> WorkExperience:
        return WorkExperience(
            employer=self.employer,
            title=self.title,
            start_year=self.start_year,
            end_year=self.end_year,
            description=self.description,
        )


class CareerProfileIn(BaseModel):
    """The whole profile: what is left out is cleared."""

    model_config = STRICT
    headline: OptionalTitle | None = None
    summary: OptionalLongText | None = None
    skills: list[Name] = Field(default_factory=list, max_length=MAX_SKILLS)
    education: list[EducationIn] = Field(default_factory=list, max_length=MAX_EDUCATION)
    work_history: list[WorkIn] = Field(
        default_factory=list, max_length=MAX_WORK_HISTORY
    )
    achievements: list[ShortText] = Field(
        default_factory=list, max_length=MAX_ACHIEVEMENTS
    )
    links: list[WebUrl] = Field(default_factory=list, max_length=MAX_LINKS)
    visibility: Visibility = Field(
        default=Visibility.PRIVATE,
        description="Who may see the profile besides you and admins: nobody "
        "(private), your mentor (mentors), also the NPOs you enrol with (npos).",
    )

    def to_value(self) -> CareerProfile:
        """The profile, checked and normalised (422 naming the field if not)."""
        return CareerProfile.of(
            headline=self.headline,
            summary=self.summary,
            skills=self.skills,
            education=[e.to_value() for e in self.education],
            work_history=[w.to_value() for w in self.work_history],
            achievements=self.achievements,
            links=self.links,
            visibility=self.visibility,
        )


class EducationOut(BaseModel):
    institution: str
    qualification: str | None
    field_of_study: str | None
    start_year: int | None
    end_year: int | None


class WorkOut(BaseModel):
    employer: str
    title: str
    start_year: int | None
    end_year: int | None
    description: str | None


class CareerProfileOut(BaseModel):
    headline: str | None
    summary: str | None
    skills: list[str]
    education: list[EducationOut]
    work_history: list[WorkOut]
    achievements: list[str]
    links: list[str]

    @classmethod
    def of(cls, profile: CareerProfile) -> CareerProfileOut:
        return cls(
            headline=profile.headline,
            summary=profile.summary,
            skills=list(profile.skills),
            education=[EducationOut(**vars(e)) for e in profile.education],
            work_history=[WorkOut(**vars(w)) for w in profile.work_history],
            achievements=list(profile.achievements),
            links=list(profile.links),
        )


class BadgeOut(BaseModel):
    kind: BadgeKind
    title: str
    earned_at: str


class EngagementOut(BaseModel):
    """What the platform knows of your engagement (#5)."""

    member_since: str
    assessments_taken: int
    profile_updates: int
    days_active: int = Field(description="Days on which you changed your record.")
    last_active_at: str | None


class CareerRecordOut(BaseModel):
    """A candidate's career record: profile, status, badges, engagement."""

    id: str
    status: CandidateStatus
    onboarding: OnboardingStatus
    visibility: Visibility
    profile: CareerProfileOut | None = Field(description="None until first saved.")
    mentor_id: str | None
    badges: list[BadgeOut]
    engagement: EngagementOut

    @classmethod
    def fields_of(cls, row: CandidateRow) -> dict[str, object]:
        e = row.engagement
        return {
            "id": row.id,
            "status": row.status,
            "onboarding": row.onboarding,
            "visibility": row.visibility,
            "profile": CareerProfileOut.of(row.profile) if row.profile else None,
            "mentor_id": row.mentor_id,
            "badges": [
                BadgeOut(kind=b.kind, title=BADGE_TITLES[b.kind], earned_at=b.earned_at)
                for b in row.badges
            ],
            "engagement": EngagementOut(
                member_since=e.member_since,
                assessments_taken=e.assessments_taken,
                profile_updates=e.profile_updates,
                days_active=e.days_active,
                last_active_at=e.last_active_at,
            ),
        }

    @classmethod
    def of(cls, row: CandidateRow) -> CareerRecordOut:
        return cls.model_validate(cls.fields_of(row))


# --- Needs assessments ----------------------------------------------------------------


class NeedIn(BaseModel):
    model_config = STRICT
    level: NeedLevel
    text: OptionalLongText | None = None


class AssessmentIn(BaseModel):
    """A completed needs assessment; a category left out counts as ``none``."""

    model_config = STRICT
    needs: dict[Category, NeedIn] = Field(
        max_length=len(CATEGORIES_OF_NEED),
        description="For each category of need (its slug, see "
        "GET /offering-categories), a level and what you would add.",
        json_schema_extra={"propertyNames": {"enum": list(CATEGORIES_OF_NEED)}},
    )
    region: Name
    country: CountryCode = Field(description="ISO 3166-1 alpha-2.")
    preferred_format: MeetingFormat
    languages: list[Language] = Field(default_factory=list, max_length=MAX_LANGUAGES)
    availability: OptionalShortText | None = Field(
        default=None, description="When you are free, in your words."
    )

    def to_value(self) -> NeedsAssessment:
        """The assessment, checked (422 naming the field, e.g. ``needs.<slug>``)."""
        return NeedsAssessment.of(
            needs={
                slug: {"level": need.level.value, "text": need.text}
                for slug, need in self.needs.items()
            },
            region=self.region,
            country=self.country,
            preferred_format=self.preferred_format,
            languages=self.languages,
            availability=self.availability,
        )


class NeedOut(BaseModel):
    level: NeedLevel
    text: str | None


class AssessmentOut(BaseModel):
    number: int = Field(description="1 for the first; each retake adds one.")
    completed_at: str
    needs: dict[str, NeedOut]
    most_urgent: list[str] = Field(description="The categories of highest need.")
    region: str
    country: str
    preferred_format: MeetingFormat
    languages: list[str]
    availability: str | None

    @classmethod
    def of(cls, row: AssessmentRow) -> AssessmentOut:
        a = row.assessment
        return cls(
            number=row.number,
            completed_at=row.completed_at,
            needs={
                slug: NeedOut(level=need.level, text=need.text)
                for slug, need in a.needs.items()
            },
            most_urgent=list(a.most_urgent_categories()),
            region=a.region,
            country=a.country,
            preferred_format=a.preferred_format,
            languages=list(a.languages),
            availability=a.availability,
        )


class AssessmentPageOut(BaseModel):
    items: list[AssessmentOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: AssessmentPage) -> AssessmentPageOut:
        return cls(
            items=[AssessmentOut.of(row) for row in page.items],
            next_cursor=page.next_cursor,
        )


# --- A candidate, for an admin or their mentor --------------------------------------


class CandidateOut(CareerRecordOut):
    latest_assessment: AssessmentOut | None

    @classmethod
    def of_detail(cls, detail: CandidateDetail) -> CandidateOut:
        latest = detail.latest_assessment
        return cls.model_validate(
            {
                **cls.fields_of(detail.candidate),
                "latest_assessment": AssessmentOut.of(latest) if latest else None,
            }
        )
