"""Response bodies of the offering search (``GET /offerings``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ports.offering_search import OfferingHit, OfferingPage


class OfferingHitOut(BaseModel):
    id: str
    npo_id: str
    npo_name: str
    title: str
    summary: str | None
    categories: list[str]
    tags: list[str]
    region: str | None
    country: str | None
    format: Literal["online", "in_person", "either"]
    community_ids: list[str]
    next_deadline: str | None = Field(
        description="The earliest deadline still to come (date or date-time)"
    )
    published_at: str
    score: float = Field(description="Relevance to the text (0 without text)")

    @classmethod
    def of(cls, hit: OfferingHit) -> OfferingHitOut:
        o = hit.offering
        return cls(
            id=o.offering_id,
            npo_id=o.npo_id,
            npo_name=o.npo_name,
            title=o.title,
            summary=o.summary,
            categories=list(o.categories),
            tags=list(o.tags),
            region=o.region,
            country=o.country,
            format=o.format,
            community_ids=list(o.community_ids),
            next_deadline=o.next_deadline,
            published_at=o.published_at,
            score=hit.score,
        )


class OfferingSearchPage(BaseModel):
    items: list[OfferingHitOut]
    total: int = Field(description="Matches over every page")
    facets: dict[str, int] = Field(
        description="Matches per category (slug) over every page"
    )
    next_cursor: str | None

    @classmethod
    def of(cls, page: OfferingPage) -> OfferingSearchPage:
        return cls(
            items=[OfferingHitOut.of(h) for h in page.hits],
            total=page.total,
            facets=dict(page.facets),
            next_cursor=page.next_cursor,
        )
