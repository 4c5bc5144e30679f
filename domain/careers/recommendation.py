"""Ranking offerings for a candidate's needs (#2, #6): the port and its default model.

A ``Recommender`` takes the candidate's latest ``NeedsAssessment`` and the visible
offerings that might suit it (``OfferingTraits``: categories, tags, where, how, in
which languages) and answers at most ``limit`` of them, best first, each with the
``Reason`` it matched: which needs it serves, which of the candidate's words its tags
carry, whether it is near them or online, whether its format is the one preferred,
which languages they share. ``wanted`` says which offerings to ask the search view
for (``OfferingSearch.matching``): the needed categories and the candidate's words.
A better model replaces ``NeedsMatch`` behind the same Protocol.

``NeedsMatch``, the default model, scores what a careers adviser weighs first:

- needs: each needed category the offering serves, an urgent need weighing three
  times a lesser one;
- the candidate's own words: the free text of their needs, reduced to tag form
  (``keywords``), against the offering's tags ("electrician", "cdl", "spanish");
- reach: an in-person offering must be in the candidate's region (same country,
  other region: far; another country: out of reach and left out); an online
  offering limited to another country is left out too;
- format: the preferred format (online / in person) is favoured, the other one
  weighs against;
- languages: an offering given only in languages the candidate did not name weighs
  heavily against (offerings that name none are taken as open to all).

Offerings that serve no need and carry none of the candidate's words are never
recommended.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Protocol

from domain.careers.assessment import NeedsAssessment
from domain.careers.values import MeetingFormat, NeedLevel
from domain.tagging import normalise_tag

DEFAULT_LIMIT = 10
MAX_LIMIT = 50


@dataclass(frozen=True)
class OfferingTraits:
    """What the ranking knows of a visible offering."""

    offering_id: str
    categories: tuple[str, ...]
    tags: tuple[str, ...] = ()
    region: str | None = None
    country: str | None = None
    format: MeetingFormat = MeetingFormat.EITHER
    # The languages it is given in (BCP 47 tags); empty when it does not say.
    languages: tuple[str, ...] = ()


class Reach:
    """How the candidate can take part, as a reason says it."""

    SAME_REGION = "same_region"
    SAME_COUNTRY = "same_country"
    ONLINE = "online"


@dataclass(frozen=True)
class NeedMatched:
    category: str
    level: NeedLevel


@dataclass(frozen=True)
class Reason:
    """Why an offering was recommended."""

    needs: tuple[NeedMatched, ...] = ()
    tags: tuple[str, ...] = ()
    # ``Reach``: same region, same country or online; None when it is not known.
    location: str | None = None
    # The offering's format when it is the candidate's preferred one.
    format: str | None = None
    languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Recommendation:
    offering_id: str
    score: float
    reason: Reason


@dataclass(frozen=True)
class Wanted:
    """Which offerings to ask the search view for."""

    categories: tuple[str, ...]
    tags: tuple[str, ...]


class Recommender(Protocol):
    """A ranking model: which offerings to consider, and their order."""

    def wanted(self, assessment: NeedsAssessment) -> Wanted: ...

    def rank(
        self,
        assessment: NeedsAssessment,
        offerings: Sequence[OfferingTraits],
        limit: int,
    ) -> list[Recommendation]: ...


# --- The candidate's words ------------------------------------------------------------

# Words that say nothing about what a candidate needs.
_STOP_TEXT = """
    a about after again all also am an and any are as at be because been before being
    but by can could do does doing for from get getting got had has have having help
    her here him his how i i'm if in into is it its just like me more most my need
    needs no not now of on once only or other our out over own please really so some
    soon still such than that the their them then there these they this those to too
    under until up very want wants was we were what when where which while who why
    will with would you your job jobs work working find finding looking
"""
_STOP_WORDS = frozenset(_STOP_TEXT.split())
_WORD = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?")
MAX_KEYWORDS = 30


def _stem(word: str) -> str:
    """A light plural fold, so "interviews" meets "interview"."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def keywords(assessment: NeedsAssessment) -> tuple[str, ...]:
    """The candidate's words about their needs, in tag form: single words and
    pairs ("truck-driving"), the most urgent needs' words first."""
    found: list[str] = []
    for category in assessment.needed_categories():
        text = assessment.needs[category].text or ""
        every = [_stem(w.lower()) for w in _WORD.findall(text)]
        words = [w for w in every if w not in _STOP_WORDS and len(w) > 1]
        # Pairs keep short and common words: "IT support", "help desk".
        pairs = [
            f"{a}-{b}"
            for a, b in pairwise(every)
            if not (a in _STOP_WORDS and b in _STOP_WORDS)
        ]
        for word in (*words, *pairs):
            tag = normalise_tag(word)
            if tag and tag not in found:
                found.append(tag)
    return tuple(found[:MAX_KEYWORDS])


def _tag_matches(tag: str, words: frozenset[str]) -> bool:
    """An offering tag matches the candidate's words when it is one of them, or
    when each of its parts is ("truck-driving" by "truck" and "driving")."""
    if tag in words:
        return True
    parts = [_stem(p) for p in tag.split("-") if p]
    return bool(parts) and all(p in words for p in parts)


def _same_place(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and normalise_tag(a or "") == normalise_tag(b or "")


def _language(tag: str) -> str:
    return tag.split("-", maxsplit=1)[0].lower()


# --- The default model ----------------------------------------------------------------


@dataclass(frozen=True)
class NeedsMatch:
    """Needs, the candidate's words, reach, format and languages (see the module's
    docstring); the weights are the model's parameters."""

    urgent: float = 3.0
    some: float = 1.0
    # Each need served beyond the best one counts this much of its weight.
    further_need: float = 0.5
    per_tag: float = 1.0
    max_tags: int = 3
    same_region: float = 1.5
    # In person in another region: out of reach in practice, below anything
    # reachable; a local programme that can be joined online serves its own region
    # first.
    far_in_person: float = -4.0
    far_either: float = -1.0
    preferred_format: float = 0.5
    other_format: float = -1.5
    first_language: float = 0.5
    no_shared_language: float = -3.0

    def wanted(self, assessment: NeedsAssessment) -> Wanted:
        return Wanted(assessment.needed_categories(), keywords(assessment))

    def rank(
        self,
        assessment: NeedsAssessment,
        offerings: Sequence[OfferingTraits],
        limit: int,
    ) -> list[Recommendation]:
        words = frozenset(keywords(assessment))
        scored = []
        for position, offering in enumerate(offerings):
            found = self.score(assessment, offering, words)
            if found is not None:
                scored.append((found, position))
        scored.sort(key=lambda pair: (-pair[0].score, pair[1]))
        return [found for found, _ in scored[: max(0, limit)]]

    def score(
        self,
        assessment: NeedsAssessment,
        offering: OfferingTraits,
        words: frozenset[str],
    ) -> Recommendation | None:
        """The offering's score and reason; None when it serves no need, carries
        none of the candidate's words, or is out of reach."""
        needs = tuple(
            NeedMatched(c, assessment.level_of(c))
            for c in offering.categories
            if assessment.level_of(c) is not NeedLevel.NONE
        )
        tags = tuple(t for t in offering.tags if _tag_matches(t, words))
        if not needs and not tags:
            return None
        reach = self._reach(assessment, offering)
        if reach is None:
            return None
        weights = sorted(
            (self.urgent if n.level is NeedLevel.URGENT else self.some for n in needs),
            reverse=True,
        )
        score = sum(weights[:1]) + self.further_need * sum(weights[1:])
        score += self.per_tag * min(len(tags), self.max_tags)
        score += self._distance(assessment, offering, reach)
        format_score, format_matched = self._format(assessment, offering)
        language_score, shared = self._languages(assessment, offering)
        reason = Reason(
            needs=tuple(sorted(needs, key=lambda n: n.level is not NeedLevel.URGENT)),
            tags=tags,
            location=reach or None,
            format=format_matched,
            languages=shared,
        )
        score += format_score + language_score
        return Recommendation(offering.offering_id, round(score, 3), reason)

    def _distance(
        self, assessment: NeedsAssessment, offering: OfferingTraits, reach: str
    ) -> float:
        if reach == Reach.SAME_REGION:
            return self.same_region
        if offering.region and not _same_place(offering.region, assessment.region):
            if offering.format is MeetingFormat.IN_PERSON:
                return self.far_in_person
            if offering.format is MeetingFormat.EITHER:
                return self.far_either
        return 0.0

    def _format(
        self, assessment: NeedsAssessment, offering: OfferingTraits
    ) -> tuple[float, str | None]:
        """The format's weight, and the format when it suits the preference."""
        preferred = assessment.preferred_format
        if preferred is MeetingFormat.EITHER:
            return 0.0, None
        if offering.format is preferred:
            return self.preferred_format, offering.format.value
        if offering.format is MeetingFormat.EITHER:
            return 0.0, offering.format.value
        return self.other_format, None

    def _languages(
        self, assessment: NeedsAssessment, offering: OfferingTraits
    ) -> tuple[float, tuple[str, ...]]:
        """The languages' weight, and the languages shared (candidate's order)."""
        if not offering.languages or not assessment.languages:
            return 0.0, ()
        spoken = [_language(t) for t in assessment.languages]
        given = {_language(t) for t in offering.languages}
        shared = tuple(lang for lang in spoken if lang in given)
        if not shared:
            return self.no_shared_language, ()
        return (self.first_language if shared[0] == spoken[0] else 0.0), shared

    @staticmethod
    def _reach(assessment: NeedsAssessment, offering: OfferingTraits) -> str | None:
        """``Reach`` when the candidate can take part, None when they cannot, ""
        when it is not known."""
        same_country = _same_place(offering.country, assessment.country)
        other_country = bool(offering.country) and not same_country
        if offering.format is MeetingFormat.ONLINE:
            return None if other_country else Reach.ONLINE
        if other_country:
            # In person elsewhere is out of reach; "either" can still be joined
            # online.
            return None if offering.format is MeetingFormat.IN_PERSON else Reach.ONLINE
        if same_country and _same_place(offering.region, assessment.region):
            return Reach.SAME_REGION
        if offering.format is MeetingFormat.EITHER:
            return Reach.ONLINE
        return Reach.SAME_COUNTRY if same_country else ""
