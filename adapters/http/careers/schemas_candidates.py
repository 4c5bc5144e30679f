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


class AssessmentIn(BaseModel):
    """A completed needs assessment; a category not given counts as ``none``."""

    model_config = STRICT
    needs: dict[str, NeedIn] = Field(
        max_length=len(CATEGORIES_OF_NEED),
        description="By category slug of #2: a level and what the candidate wrote.",
    )
    region: Name
    country: CountryCode
    preferred_format: MeetingFormat
    languages: list[Language] = Field(default_factory=list, max_length=MAX_LANGUAGES)
    availability: OptionalShortText | None = None

    def to_value(self) -> NeedsAssessment:
        return NeedsAssessment.of(
            needs={
                slug: {"level": need.level.value, "text": need.text}
                for slug, need in self.needs.items()
            },
            region=self.region,
            country=self.country,
            preferred_format=self.preferred_format.value,
            languages=list(self.languages),
            availability=self.availability,
        )
