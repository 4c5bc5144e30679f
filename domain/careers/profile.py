"""A candidate's career profile (C1): who they are as a professional.

One value, replaced whole on each change: a headline and a summary, skills,
education and work history, achievements, links, and who may see it
(``Visibility``: private, their mentor, the NPOs they enrol with). ``of`` checks
and normalises every part, naming the refused field (``education[0].institution``);
text is checked by ``domain.text`` as everywhere.

Its content is personal data: the candidate's events record it sealed per person
(``domain.personal_data``), and erasing the person erases it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain.base import InvalidFieldError
from domain.careers.values import Visibility
from domain.text import LONG_TEXT, NAME, SHORT_TEXT, TITLE, WEB_URL

MAX_SKILLS = 50
MAX_EDUCATION = 20
MAX_WORK_HISTORY = 30
MAX_ACHIEVEMENTS = 30
MAX_LINKS = 10
# Years a history entry may name.
FIRST_YEAR, LAST_YEAR = 1900, 2100


def _items(value: object, field: str, *, max_items: int) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise InvalidFieldError(field, "must be a list")
    if len(value) > max_items:
        raise InvalidFieldError(field, f"has more than {max_items} items")
    return list(value)


def _year(value: object, field: str, *, required: bool) -> int | None:
    if value is None:
        if required:
            raise InvalidFieldError(field, "is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidFieldError(field, "must be a whole number (a year)")
    if not FIRST_YEAR <= value <= LAST_YEAR:
        raise InvalidFieldError(field, f"must be between {FIRST_YEAR} and {LAST_YEAR}")
    return value


def _years(start: object, end: object, field: str) -> tuple[int | None, int | None]:
    first = _year(start, f"{field}.start_year", required=False)
    last = _year(end, f"{field}.end_year", required=False)
    if first is not None and last is not None and last < first:
        raise InvalidFieldError(f"{field}.end_year", "must not be before start_year")
    return first, last


def _unique_folded(values: list[str]) -> tuple[str, ...]:
    """De-duplicated ignoring case, first spelling kept, in the given order."""
    seen: set[str] = set()
    kept: list[str] = []
    for value in values:
        if value.casefold() not in seen:
            seen.add(value.casefold())
            kept.append(value)
    return tuple(kept)


@dataclass(frozen=True)
class Education:
    """A school, college or training: where, what, when (years; no end: ongoing)."""

    institution: str
    qualification: str | None = None
    field_of_study: str | None = None
    start_year: int | None = None
    end_year: int | None = None

    def checked(self, field: str) -> Education:
        start, end = _years(self.start_year, self.end_year, field)
        return Education(
            institution=NAME.required(self.institution, f"{field}.institution"),
            qualification=TITLE.optional(self.qualification, f"{field}.qualification"),
            field_of_study=NAME.optional(
                self.field_of_study, f"{field}.field_of_study"
            ),
            start_year=start,
            end_year=end,
        )


@dataclass(frozen=True)
class WorkExperience:
    """A job: employer, title, years (no end: current) and what it involved."""

    employer: str
    title: str
    start_year: int | None = None
    end_year: int | None = None
    description: str | None = None

    def checked(self, field: str) -> WorkExperience:
        start, end = _years(self.start_year, self.end_year, field)
        return WorkExperience(
            employer=NAME.required(self.employer, f"{field}.employer"),
            title=TITLE.required(self.title, f"{field}.title"),
            start_year=start,
            end_year=end,
            description=LONG_TEXT.optional(self.description, f"{field}.description"),
        )


@dataclass(frozen=True)
class CareerProfile:
    """What a candidate says about their career, and who may see it."""

    headline: str | None = None
    summary: str | None = None
    skills: tuple[str, ...] = ()
    education: tuple[Education, ...] = ()
    work_history: tuple[WorkExperience, ...] = ()
    achievements: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    visibility: Visibility = Visibility.PRIVATE

    @classmethod
    def of(
        cls,
        *,
        headline: object = None,
        summary: object = None,
        skills: object = (),
        education: object = (),
        work_history: object = (),
        achievements: object = (),
        links: object = (),
        visibility: object = Visibility.PRIVATE,
    ) -> CareerProfile:
        """Check and normalise a profile; ``InvalidFieldError`` names a field."""
        try:
            seen = Visibility(str(visibility))
        except ValueError:
            allowed = ", ".join(v.value for v in Visibility)
            raise InvalidFieldError(
                "visibility", f"must be one of: {allowed}"
            ) from None
        schools = _items(education, "education", max_items=MAX_EDUCATION)
        jobs = _items(work_history, "work_history", max_items=MAX_WORK_HISTORY)
        for i, entry in enumerate(schools):
            if not isinstance(entry, Education):
                raise InvalidFieldError(f"education[{i}]", "must be an education")
        for i, job in enumerate(jobs):
            if not isinstance(job, WorkExperience):
                raise InvalidFieldError(f"work_history[{i}]", "must be a job")
        return cls(
            headline=TITLE.optional(headline, "headline"),
            summary=LONG_TEXT.optional(summary, "summary"),
            skills=_unique_folded(
                [
                    NAME.required(skill, f"skills[{i}]")
                    for i, skill in enumerate(
                        _items(skills, "skills", max_items=MAX_SKILLS)
                    )
                ]
            ),
            education=tuple(
                entry.checked(f"education[{i}]") for i, entry in enumerate(schools)
            ),
            work_history=tuple(
                job.checked(f"work_history[{i}]") for i, job in enumerate(jobs)
            ),
            achievements=tuple(
                SHORT_TEXT.required(text, f"achievements[{i}]")
                for i, text in enumerate(
                    _items(achievements, "achievements", max_items=MAX_ACHIEVEMENTS)
                )
            ),
            links=tuple(
                dict.fromkeys(
                    WEB_URL.required(link, f"links[{i}]")
                    for i, link in enumerate(
                        _items(links, "links", max_items=MAX_LINKS)
                    )
                )
            ),
            visibility=seen,
        )

    def to_state(self) -> dict[str, Any]:
        """JSON values only; ``visibility`` is recorded beside it, in the clear."""
        return {
            "headline": self.headline,
            "summary": self.summary,
            "skills": list(self.skills),
            "education": [
                {
                    "institution": e.institution,
                    "qualification": e.qualification,
                    "field_of_study": e.field_of_study,
                    "start_year": e.start_year,
                    "end_year": e.end_year,
                }
                for e in self.education
            ],
            "work_history": [
                {
                    "employer": w.employer,
                    "title": w.title,
                    "start_year": w.start_year,
                    "end_year": w.end_year,
                    "description": w.description,
                }
                for w in self.work_history
            ],
            "achievements": list(self.achievements),
            "links": list(self.links),
        }

    @classmethod
    def from_state(
        cls, state: Mapping[str, Any], visibility: Visibility | str
    ) -> CareerProfile:
        """A profile as ``to_state`` recorded it (checked when it was recorded)."""
        return cls(
            headline=state.get("headline"),
            summary=state.get("summary"),
            skills=tuple(state.get("skills", ())),
            education=tuple(Education(**e) for e in state.get("education", ())),
            work_history=tuple(
                WorkExperience(**w) for w in state.get("work_history", ())
            ),
            achievements=tuple(state.get("achievements", ())),
            links=tuple(state.get("links", ())),
            visibility=Visibility(visibility),
        )
