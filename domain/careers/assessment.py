"""The needs assessment (C2): what a candidate needs, where, when and how.

One value per completed assessment: for each of the ten categories of #2
(``domain.tagging.CATEGORIES_OF_NEED``) a need level (none / some / urgent) and free
text, the candidate's location (region, country), availability, preferred format
(online / in person / either) and languages. A category not given counts as
``none``; an unknown one is refused, naming it (``needs.<slug>``).

The candidate keeps every assessment they complete (``Candidate.assessments``); the
latest one drives mentor assignment and recommendations. Its content is personal
data: the events recording it encrypt it per person.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain.base import InvalidFieldError
from domain.careers.values import MeetingFormat, NeedLevel
from domain.tagging import CATEGORIES_OF_NEED
from domain.text import COUNTRY_CODE, LONG_TEXT, NAME, SHORT_TEXT, TextFormat

MAX_LANGUAGES = 10
# A language as BCP 47 has it, kept short: "en", "es", "pt-BR", "zh-Hant".
LANGUAGE = TextFormat(
    "language",
    "[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,2}",
    20,
    "must be a language tag such as en, es or pt-BR",
)

# Levels in the order that ranks needs: urgent first.
_URGENCY = {NeedLevel.URGENT: 2, NeedLevel.SOME: 1, NeedLevel.NONE: 0}


def _enum_value(enum: type[Any], value: object, field: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in enum)
        raise InvalidFieldError(field, f"must be one of: {allowed}") from None


def language_tags(values: object, field: str) -> tuple[str, ...]:
    """Language tags, de-duplicated, in the canonical case (``pt-BR``)."""
    if values is None:
        return ()
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise InvalidFieldError(field, "must be a list")
    if len(values) > MAX_LANGUAGES:
        raise InvalidFieldError(field, f"has more than {MAX_LANGUAGES} languages")
    result: list[str] = []
    for i, raw in enumerate(values):
        tag = LANGUAGE.required(raw, f"{field}[{i}]")
        first, *rest = tag.split("-")
        canonical = "-".join(
            [first.lower(), *(p.upper() if len(p) == 2 else p.title() for p in rest)]
        )
        if canonical not in result:
            result.append(canonical)
    return tuple(result)


@dataclass(frozen=True)
class Need:
    """One category's answer: a level, and what the candidate wrote about it."""

    level: NeedLevel
    text: str | None = None


@dataclass(frozen=True)
class NeedsAssessment:
    """A completed needs assessment; ``needs`` has every category of #2."""

    needs: Mapping[str, Need]
    region: str
    country: str
    preferred_format: MeetingFormat
    languages: tuple[str, ...] = ()
    availability: str | None = None

    @classmethod
    def of(
        cls,
        *,
        needs: Mapping[str, Mapping[str, Any]],
        region: object,
        country: object,
        preferred_format: object,
        languages: object = (),
        availability: object = None,
    ) -> NeedsAssessment:
        """Check and normalise an assessment; ``InvalidFieldError`` names a field."""
        if not isinstance(needs, Mapping):
            raise InvalidFieldError("needs", "must map categories to answers")
        checked: dict[str, Need] = {
            slug: Need(NeedLevel.NONE) for slug in CATEGORIES_OF_NEED
        }
        for slug, answer in needs.items():
            field = f"needs.{slug}"
            if slug not in CATEGORIES_OF_NEED:
                raise InvalidFieldError(field, "is not a category of need")
            if not isinstance(answer, Mapping):
                raise InvalidFieldError(field, "must give a level")
            checked[slug] = Need(
                level=_enum_value(NeedLevel, answer.get("level"), f"{field}.level"),
                text=LONG_TEXT.optional(answer.get("text"), f"{field}.text"),
            )
        code = COUNTRY_CODE.required(country, "country")
        return cls(
            needs=checked,
            region=NAME.required(region, "region"),
            country=code.upper(),
            preferred_format=_enum_value(
                MeetingFormat, preferred_format, "preferred_format"
            ),
            languages=language_tags(languages, "languages"),
            availability=SHORT_TEXT.optional(availability, "availability"),
        )

    def level_of(self, category: str) -> NeedLevel:
        need = self.needs.get(category)
        return need.level if need else NeedLevel.NONE

    def needed_categories(self) -> tuple[str, ...]:
        """Categories with some or urgent need, the most urgent first (then in the
        order of #2)."""
        order = list(CATEGORIES_OF_NEED)
        needed = [c for c, n in self.needs.items() if n.level != NeedLevel.NONE]
        return tuple(
            sorted(needed, key=lambda c: (-_URGENCY[self.level_of(c)], order.index(c)))
        )

    def most_urgent_categories(self) -> tuple[str, ...]:
        """The categories at the highest level given (urgent, else some)."""
        needed = self.needed_categories()
        if not needed:
            return ()
        top = self.level_of(needed[0])
        return tuple(c for c in needed if self.level_of(c) == top)

    def to_state(self) -> dict[str, Any]:
        return {
            "needs": {
                slug: {"level": need.level.value, "text": need.text}
                for slug, need in self.needs.items()
            },
            "region": self.region,
            "country": self.country,
            "preferred_format": self.preferred_format.value,
            "languages": list(self.languages),
            "availability": self.availability,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> NeedsAssessment:
        return cls(
            needs={
                slug: Need(NeedLevel(answer["level"]), answer.get("text"))
                for slug, answer in state["needs"].items()
            },
            region=state["region"],
            country=state["country"],
            preferred_format=MeetingFormat(state["preferred_format"]),
            languages=tuple(state.get("languages", ())),
            availability=state.get("availability"),
        )
