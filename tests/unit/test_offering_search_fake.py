"""The in-memory ``OfferingSearch`` of the tests keeps the port's contract
(``ports.offering_search``), so what is tested with it holds with the real views."""

from __future__ import annotations

import pytest

from domain.base import InvalidFieldError
from ports.offering_search import OfferingQuery
from tests.support.offering_search import InMemoryOfferingSearch
from tests.support.recommendations import summary


def test_matching_finds_visible_offerings_by_category_or_tag() -> None:
    interviews = summary(categories=("interview_prep",), tags=("mock-interview",))
    suits = summary(categories=("business_attire",), tags=("suit",))
    food = summary(categories=("grocery_meals",), tags=())
    search = InMemoryOfferingSearch([interviews, suits, food])

    found = search.matching(["interview_prep"], ["Suit"], 10)

    assert {o.offering_id for o in found} == {
        interviews.offering_id,
        suits.offering_id,
    }
    assert search.matching(["interview_prep", "business_attire"], [], 1) == [
        max(interviews, suits, key=lambda o: (o.published_at, o.offering_id))
    ]


def test_taken_down_and_deleted_npos_leave_every_answer() -> None:
    kept, taken_down = summary(), summary()
    same_npo = summary(npo_id=kept.npo_id)
    search = InMemoryOfferingSearch([kept, taken_down, same_npo])

    search.hide(taken_down.offering_id)
    assert set(search.get([kept.offering_id, taken_down.offering_id])) == {
        kept.offering_id
    }
    search.hide_npo(kept.npo_id)

    assert search.get([kept.offering_id, same_npo.offering_id]) == {}
    assert search.matching(["interview_prep"], [], 10) == []
    assert search.search(OfferingQuery()).total == 0


def test_search_filters_counts_facets_and_pages_stably() -> None:
    search = InMemoryOfferingSearch(
        [
            summary(
                title=f"Resume writing {i}",
                categories=("resume_writing",),
                published_at=f"2026-01-0{i}T00:00:00+00:00",
            )
            for i in range(1, 6)
        ]
    )
    search.publish(summary(title="Mock interviews", region="Texas"))

    first = search.search(OfferingQuery(text="resume", limit=2))
    assert first.total == 5
    assert first.facets == {"resume_writing": 5}
    assert first.next_cursor is not None
    # Check offerings added meanwhile do not shift the pages.
    search.publish(
        summary(title="Resume writing 9", published_at="2026-02-01T00:00:00+00:00")
    )
    second = search.search(
        OfferingQuery(text="resume", limit=2, cursor=first.next_cursor)
    )
    titles = [h.offering.title for h in (*first.hits, *second.hits)]
    assert titles == [
        "Resume writing 5",
        "Resume writing 4",
        "Resume writing 3",
        "Resume writing 2",
    ]
    assert [
        h.offering.title for h in search.search(OfferingQuery(region="texas")).hits
    ] == ["Mock interviews"]
    with pytest.raises(InvalidFieldError) as refused:
        search.search(OfferingQuery(cursor="not-a-cursor"))
    assert refused.value.field == "cursor"
