"""Finding offerings (C3, N2, N5, N6): ``GET /offerings``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from adapters.http.auth import ContainerDep, CurrentUserDep, current_user
from adapters.http.consistency import read_your_writes
from adapters.http.onboarding.schemas_npos import Tag
from adapters.http.onboarding.schemas_offerings import Slug
from adapters.http.onboarding.schemas_search import OfferingSearchPage
from adapters.http.text import OptionalCountryCode, OptionalName, TextField
from domain.onboarding.offering_content import MAX_CATEGORIES
from domain.tagging import MAX_TAGS
from domain.text import TITLE
from projections.onboarding.offering_search import SEARCH_PROJECTION
from queries.cursors import CURSOR_PATTERN, MAX_CURSOR_LENGTH
from queries.onboarding.offering_search import (
    DEFAULT_SEARCH_PAGE,
    MAX_SEARCH_PAGE,
    SearchRequest,
    search_offerings,
)

router = APIRouter(prefix="/offerings", tags=["offerings"])

# What a search may say: text as a title may hold (checked by the query, naming q).
SearchText = Annotated[str, TextField(TITLE, required=False)]

FRESH_SEARCH = Depends(read_your_writes(SEARCH_PROJECTION, authorized_by=current_user))


@router.get("", dependencies=[FRESH_SEARCH])
def search(
    *,
    user: CurrentUserDep,
    container: ContainerDep,
    q: Annotated[
        SearchText | None,
        Query(
            description="Words of the title, summary, description or NPO name; "
            "a typo still finds the word meant",
        ),
    ] = None,
    category: Annotated[
        list[Slug] | None,
        Query(description="Any of these category slugs", max_length=MAX_CATEGORIES),
    ] = None,
    tag: Annotated[
        list[Tag] | None,
        Query(description="Any of these tags", max_length=MAX_TAGS),
    ] = None,
    npo_id: UUID | None = None,
    community_id: UUID | None = None,
    region: OptionalName | None = None,
    country: Annotated[
        OptionalCountryCode | None, Query(description="ISO 3166 alpha-2 code")
    ] = None,
    format: Annotated[
        Literal["online", "in_person", "either"] | None,
        Query(description="online: remote; in_person: at an address; either: both"),
    ] = None,
    open_deadline: Annotated[
        bool, Query(description="Only offerings with no deadline or one to come")
    ] = False,
    cursor: Annotated[
        str | None,
        Query(
            description="next_cursor of the last page (of the same search)",
            pattern=CURSOR_PATTERN,
            max_length=MAX_CURSOR_LENGTH,
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_SEARCH_PAGE)] = DEFAULT_SEARCH_PAGE,
) -> OfferingSearchPage:
    """Published offerings of approved NPOs, for anyone signed in: ranked by
    relevance to ``q`` (newest first without it), filtered, with the number of
    matches per category; ``next_cursor`` continues the same search, and stays
    valid while offerings are added."""
    request = SearchRequest(
        text=q,
        categories=category or (),
        tags=tag or (),
        npo_id=str(npo_id) if npo_id else None,
        community_id=str(community_id) if community_id else None,
        region=region,
        country=country,
        format=format,
        open_deadline=open_deadline,
        limit=limit,
        cursor=cursor,
    )
    today = datetime.now(UTC).date()
    return OfferingSearchPage.of(
        search_offerings(container.offering_search, request, today)
    )
