"""Finding offerings (C3): a search over the offering search view, for anyone
signed in. The view answers only visible offerings (published, of approved NPOs);
this query checks and normalises what the caller typed (a refusal names the query
parameter) and answers the view's page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from domain.base import InvalidFieldError
from domain.onboarding.offering_content import MAX_CATEGORIES
from domain.onboarding.values import SLUG
from domain.tagging import MAX_TAGS, TAG, normalise_tag
from domain.text import COUNTRY_CODE, NAME, TITLE, TextFormat
from ports.offering_search import OfferingPage, OfferingQuery, OfferingSearch

DEFAULT_SEARCH_PAGE = 20
MAX_SEARCH_PAGE = 100


@dataclass(frozen=True)
class SearchRequest:
    """What the caller asked for, as query parameters."""

    text: str | None = None
    categories: Sequence[str] = ()
    tags: Sequence[str] = ()
    npo_id: str | None = None
    community_id: str | None = None
    region: str | None = None
    country: str | None = None
    format: str | None = None
    open_deadline: bool = False
    limit: int = DEFAULT_SEARCH_PAGE
    cursor: str | None = None


def _each(
    values: Sequence[str], field: str, max_items: int, check: TextFormat
) -> list[str]:
    if len(values) > max_items:
        raise InvalidFieldError(field, f"at most {max_items} values")
    return [check.required(v, f"{field}[{i}]") for i, v in enumerate(values)]


def search_offerings(
    search: OfferingSearch, request: SearchRequest, today: date
) -> OfferingPage:
    """A page of visible offerings, ranked by relevance when there is text."""
    categories = _each(request.categories, "category", MAX_CATEGORIES, SLUG)
    tags = [normalise_tag(t) for t in _each(request.tags, "tag", MAX_TAGS, TAG)]
    country = COUNTRY_CODE.optional(request.country, "country")
    return search.search(
        OfferingQuery(
            text=TITLE.optional(request.text, "q"),
            categories=tuple(dict.fromkeys(categories)),
            tags=tuple(dict.fromkeys(tags)),
            npo_id=request.npo_id,
            community_id=request.community_id,
            region=NAME.optional(request.region, "region"),
            country=country.upper() if country else None,
            format=request.format,
            open_deadline=request.open_deadline,
            today=today.isoformat(),
            limit=max(1, min(request.limit, MAX_SEARCH_PAGE)),
            cursor=request.cursor,
        )
    )
