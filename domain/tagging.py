"""What offerings and needs are described by, shared by every context (#2).

The ten categories of #2 describe both what an NPO offers (onboarding's catalogue
starts with them; admins may add more) and what a candidate needs (careers' needs
assessment asks about each). Tags are free words beside them, compared in one
normalised form (``normalise_tag``) wherever they are matched: offering tags, NPO
service areas, community and mentor expertise, search filters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from domain.base import InvalidFieldError
from domain.text import TextFormat

# The categories of #2, by slug.
CATEGORIES_OF_NEED: dict[str, str] = {
    "resume_writing": "Resume writing",
    "interview_prep": "Interview preparation",
    "business_attire": "Free business attire",
    "apprenticeship_registration": "Apprenticeship program registration",
    "training_program_registration": "Training program registration",
    "college_university_registration": "College & university registration",
    "grocery_meals": "Free grocery & meal services",
    "rent_housing": "Discounted rent & housing",
    "child_care": "Daycare / child care",
    "mentorship": "Mentorship / career advocate",
}

MAX_TAGS = 30
# A tag as typed: ASCII letters and digits, with spaces, hyphens or underscores
# between words ("Resume Writing"); ``normalise_tag`` gives its one form.
TAG = TextFormat(
    "tag",
    "[ _\\-]*[A-Za-z0-9][A-Za-z0-9 _\\-]*",
    50,
    "must be letters and digits, words separated by spaces, hyphens or underscores",
)


def normalise_tag(value: str) -> str:
    """``"Resume Writing"``, ``resume_writing`` → ``"resume-writing"``.

    Tags, service areas, community expertise and category slugs all compare in this
    form.
    """
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded.strip().lower()).strip("-")


def tags(values: Iterable[object] | None, field: str) -> list[str]:
    """Normalised, de-duplicated tags in their given order."""
    result: list[str] = []
    for i, raw in enumerate(values or ()):
        tag = normalise_tag(TAG.required(raw, f"{field}[{i}]"))
        if tag not in result:
            result.append(tag)
    if len(result) > MAX_TAGS:
        raise InvalidFieldError(field, f"has more than {MAX_TAGS} tags")
    return result
