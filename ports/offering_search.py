"""The offering search port: finding visible offerings (C3, N2, N5, N6).

What candidates may find: published (active) offerings of **approved** NPOs; an
offering taken down or deleted, or an NPO deleted, leaves the index at once. The
index is a view kept by the projection engine from onboarding's log; two stores
implement it with one contract (PostgreSQL full-text search with ``pg_trgm`` for
typos; SQLite FTS5 when embedded).

``search`` answers a page ranked by relevance (by publication, newest first, without
text), with facet counts per category over every match, and an opaque cursor that
stays stable while offerings are added. ``matching`` hands recommendations the
visible offerings in any of some categories or tags, unranked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

# The projection that keeps the index (from onboarding's log): a query reading
# through this port waits for it on a consistency token (read-your-writes).
OFFERING_SEARCH_VIEW = "onboarding_offering_search"


@dataclass(frozen=True)
class OfferingSummary:
    """What the index knows of a visible offering."""

    offering_id: str
    npo_id: str
    npo_name: str
    title: str
    summary: str | None
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    region: str | None
    country: str | None
    # "online", "in_person" or "either" (``domain.careers.values.MeetingFormat``'s
    # spelling): remote offerings are online, those with a place in person.
    format: str
    community_ids: tuple[str, ...]
    # The earliest deadline still to come (ISO date or date-time), if any.
    next_deadline: str | None
    published_at: str


@dataclass(frozen=True)
class OfferingQuery:
    """A search: free text and filters, all optional; ``cursor`` continues a page."""

    text: str | None = None
    categories: tuple[str, ...] = ()  # any of them
    tags: tuple[str, ...] = ()  # any of them, normalised (``domain.tagging``)
    npo_id: str | None = None
    community_id: str | None = None
    region: str | None = None
    country: str | None = None
    format: str | None = None
    # Only offerings with a deadline still to come (or none at all), as of ``today``.
    open_deadline: bool = False
    today: str | None = None  # ISO date; required with ``open_deadline``
    limit: int = 20
    cursor: str | None = None


@dataclass(frozen=True)
class OfferingHit:
    offering: OfferingSummary
    score: float  # relevance; 0 without text


@dataclass(frozen=True)
class OfferingPage:
    hits: Sequence[OfferingHit]
    # Matches per category over the whole result (every page), by category slug.
    facets: Mapping[str, int] = field(default_factory=dict)
    total: int = 0
    next_cursor: str | None = None


class OfferingSearch(Protocol):
    """The search view's reader."""

    def search(self, query: OfferingQuery) -> OfferingPage:
        """A page of visible offerings; ``InvalidFieldError("cursor", …)`` for a
        cursor this search did not issue."""
        ...

    def matching(
        self, categories: Sequence[str], tags: Sequence[str], limit: int
    ) -> list[OfferingSummary]:
        """Visible offerings in any of ``categories`` or with any of ``tags``."""
        ...

    def get(self, offering_ids: Sequence[str]) -> dict[str, OfferingSummary]:
        """The visible ones among these offerings, by id."""
        ...
