"""Request and response bodies of the candidate routes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from adapters.http.careers.schemas_mentors import Language
from adapters.http.text import CountryCode, Name, OptionalLongText, OptionalShortText
from domain.careers.assessment import MAX_LANGUAGES, NeedsAssessment
from domain.careers.values import MeetingFormat, NeedLevel
from domain.tagging import CATEGORIES_OF_NEED

STRICT = ConfigDict(extra="forbid")

# --- Assessments (C2) ---------------------------------------------------------------


class NeedIn(BaseModel):
    model_config = STRICT
    level: NeedLevel
    text: OptionalLongText | None = None


class NeedsIn(BaseModel):
    """By category of #2: a level and what the candidate wrote."""

    model_config = STRICT
    resume_writing: NeedIn | None = None
    interview_prep: NeedIn | None = None
    business_attire: NeedIn | None = None
    apprenticeship_registration: NeedIn | None = None
    training_program_registration: NeedIn | None = None
    college_university_registration: NeedIn | None = None
    grocery_meals: NeedIn | None = None
    rent_housing: NeedIn | None = None
    child_care: NeedIn | None = None
    mentorship: NeedIn | None = None

    def given(self) -> dict[str, NeedIn]:
        return {
            slug: need
            for slug in CATEGORIES_OF_NEED
            if (need := getattr(self, slug)) is not None
        }


assert set(NeedsIn.model_fields) == set(CATEGORIES_OF_NEED)


class AssessmentIn(BaseModel):
    """A completed needs assessment; a category not given counts as ``none``."""

    model_config = STRICT
    needs: NeedsIn
    region: Name
    country: CountryCode
    preferred_format: MeetingFormat
    languages: list[Language] = Field(default_factory=list, max_length=MAX_LANGUAGES)
    availability: OptionalShortText | None = None

    def to_value(self) -> NeedsAssessment:
        return NeedsAssessment.of(
            needs={
                slug: {"level": need.level.value, "text": need.text}
                for slug, need in self.needs.given().items()
            },
            region=self.region,
            country=self.country,
            preferred_format=self.preferred_format.value,
            languages=list(self.languages),
            availability=self.availability,
        )
