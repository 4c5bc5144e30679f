"""The offering search port (``ports.offering_search``): one contract, run against
SQLite FTS5 (embedded) and PostgreSQL full-text search with ``pg_trgm``.

The view is filled through its own writer (``SearchIndexWriter``), the way the
projection fills it from onboarding's events (``tests/unit/test_offering_search_view``
checks that translation).
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

import pytest

from adapters.embedded.views import SqliteRelationalStore
from adapters.postgres.views import PostgresRelationalStore
from domain.base import InvalidFieldError
from domain.onboarding.offering import OfferingStatus
from domain.onboarding.offering_content import (
    OfferingContent,
    OfferingDeadline,
    OfferingLocation,
)
from ports.offering_search import OfferingPage, OfferingQuery, OfferingSearch
from ports.relational import RelationalStore
from projections.contracts import ViewNames
from projections.engine.tracking import ensure_tracking_schema
from projections.onboarding.offering_search import (
    SEARCH_PROJECTION,
    IndexedContent,
    IndexedOffering,
    writer_for,
)
from projections.onboarding.offering_search_postgres import trigram_schema
from projections.onboarding.offering_search_reader import offering_search_for
from projections.onboarding.search_text import similarity

TODAY = "2027-03-01"


@dataclass
class Index:
    """The search view, written as the projection writes it."""

    store: RelationalStore
    clock: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        ensure_tracking_schema(self.store)
        with self.store.transaction() as session:
            self.writer = writer_for(session, ViewNames(SEARCH_PROJECTION, 1))
            self.writer.setup(session)

    @property
    def search(self) -> OfferingSearch:
        return offering_search_for(self.store)

    def npo(
        self,
        name: str = "Helping Hands",
        *,
        approved: bool = True,
        communities: Sequence[str] = (),
    ) -> str:
        npo_id = str(uuid4())
        with self.store.transaction() as session:
            self.writer.npo_registered(session, npo_id, name)
            if communities:
                self.writer.npo_placed(session, npo_id, list(communities))
            if approved:
                self.writer.npo_approved(session, npo_id)
        return npo_id

    def approve(self, npo_id: str) -> None:
        with self.store.transaction() as session:
            self.writer.npo_approved(session, npo_id)

    def delete_npo(self, npo_id: str) -> None:
        with self.store.transaction() as session:
            self.writer.npo_deleted(session, npo_id)

    def rename(self, npo_id: str, name: str) -> None:
        with self.store.transaction() as session:
            self.writer.npo_renamed(session, npo_id, name)

    def offering(
        self, npo_id: str, title: str = "Resume writing", **content: Any
    ) -> str:
        offering_id = str(uuid4())
        published_at = f"2027-01-01T00:00:{next(self.clock):09.6f}+00:00"
        with self.store.transaction() as session:
            self.writer.offerings_published(
                session,
                [
                    IndexedOffering(
                        offering_id=offering_id,
                        npo_id=npo_id,
                        content=_content(title, **content),
                        published_at=published_at,
                    )
                ],
            )
        return offering_id

    def update(self, offering_id: str, title: str, **content: Any) -> None:
        with self.store.transaction() as session:
            self.writer.offering_updated(
                session, offering_id, _content(title, **content)
            )

    def status(self, offering_id: str, status: OfferingStatus) -> None:
        with self.store.transaction() as session:
            self.writer.offering_status(session, offering_id, status)


def _content(
    title: str,
    *,
    categories: Sequence[str] = ("resume_writing",),
    tags: Sequence[str] = (),
    summary: str | None = None,
    description: str = "",
    region: str | None = None,
    country: str | None = None,
    remote: bool = False,
    address: str | None = None,
    deadlines: Sequence[str] = (),
) -> IndexedContent:
    return IndexedContent.of(
        OfferingContent.of(
            title=title,
            categories=categories,
            tags=tags,
            summary=summary,
            description_html=description,
            location=OfferingLocation(
                region=region, country=country, remote=remote, address=address
            ),
            deadlines=[OfferingDeadline("Apply", due) for due in deadlines],
        )
    )


def ids(page: OfferingPage) -> list[str]:
    return [hit.offering.offering_id for hit in page.hits]


def find(index: Index, text: str | None = None, **filters: Any) -> list[str]:
    return ids(index.search.search(OfferingQuery(text=text, **filters)))


class OfferingSearchContract(ABC):
    @abstractmethod
    @pytest.fixture
    def store(self) -> RelationalStore: ...

    @pytest.fixture
    def index(self, store: RelationalStore) -> Index:
        return Index(store)

    # -- Text -------------------------------------------------------------------------

    def test_typos_are_tolerated(self, index: Index) -> None:
        npo = index.npo()
        wanted = index.offering(npo, "Resume writing")
        index.offering(npo, "Grocery pantry", categories=["grocery_meals"])
        index.offering(npo, "Interview practice", categories=["interview_prep"])
        # Check the example of the requirement, and a typo in one word only.
        assert find(index, "resme writting") == [wanted]
        assert find(index, "resume writting") == [wanted]
        # Check case and punctuation do not matter; stop words are ignored.
        assert find(index, "RESUME, for Writing!") == [wanted]
        # Check nothing far from any word is found.
        assert find(index, "xylophone") == []

    def test_every_term_must_match(self, index: Index) -> None:
        npo = index.npo()
        both = index.offering(npo, "Resume writing")
        index.offering(npo, "Resume templates")
        assert find(index, "resume writing") == [both]

    def test_title_summary_description_and_npo_name_are_searched(
        self, index: Index
    ) -> None:
        npo = index.npo("Bridgeway Careers")
        in_title = index.offering(npo, "Welding apprenticeship")
        in_summary = index.offering(npo, "Trades", summary="Learn welding basics")
        in_body = index.offering(
            npo, "Trades night", description="<p>Bring <b>welding</b> gloves</p>"
        )
        other = index.npo("Other")
        index.offering(other, "Cooking class", categories=["grocery_meals"])
        # Check the title ranks first, then the summary, then the description.
        assert find(index, "welding") == [in_title, in_summary, in_body]
        # Check the NPO's name finds its offerings (and markup is not text).
        assert set(find(index, "bridgeway")) == {in_title, in_summary, in_body}
        assert find(index, "gloves") == [in_body]
        assert find(index, "strong") == []

    def test_an_exact_word_ranks_above_a_similar_one(self, index: Index) -> None:
        npo = index.npo()
        similar = index.offering(npo, "Resumes reviewed")
        exact = index.offering(npo, "Resume reviewed")
        found = index.search.search(OfferingQuery(text="resume"))
        assert ids(found)[0] == exact
        assert similar in ids(found)
        assert found.hits[0].score > found.hits[-1].score > 0

    def test_edits_and_renames_are_searched_as_they_are_now(self, index: Index) -> None:
        npo = index.npo("Old Name Trust")
        offering = index.offering(npo, "Resume writing")
        index.update(offering, "Interview practice", categories=["interview_prep"])
        assert find(index, "resume") == []
        assert find(index, "interview") == [offering]
        index.rename(npo, "Northstar Mentors")
        assert find(index, "northstar") == [offering]
        assert find(index, "trust") == []
        hit = index.search.search(OfferingQuery(text="interview")).hits[0]
        assert hit.offering.npo_name == "Northstar Mentors"
        assert hit.offering.title == "Interview practice"
        assert hit.offering.categories == ("interview_prep",)

    # -- Visibility -------------------------------------------------------------------

    def test_only_active_offerings_of_approved_npos_are_found(
        self, index: Index
    ) -> None:
        pending = index.npo(approved=False)
        waiting = index.offering(pending, "Resume writing")
        approved = index.npo()
        shown = index.offering(approved, "Resume writing")
        taken_down = index.offering(approved, "Resume writing")
        deleted = index.offering(approved, "Resume writing")
        index.status(taken_down, OfferingStatus.TAKEN_DOWN)
        index.status(deleted, OfferingStatus.DELETED)
        search = index.search
        assert find(index, "resume") == [shown]
        assert ids(search.search(OfferingQuery())) == [shown]
        assert list(search.get([waiting, shown, taken_down, deleted])) == [shown]
        assert [o.offering_id for o in search.matching(["resume_writing"], [], 10)] == [
            shown
        ]
        # Check approval shows the NPO's offerings, deletion hides them all at once.
        index.approve(pending)
        assert set(find(index, "resume")) == {shown, waiting}
        index.delete_npo(approved)
        assert find(index, "resume") == [waiting]
        assert search.get([shown]) == {}
        assert search.matching(["resume_writing"], [], 10)[0].offering_id == waiting

    # -- Filters and facets -----------------------------------------------------------

    def test_filters(self, index: Index) -> None:
        community = str(uuid4())
        placed = index.npo("Placed", communities=[community])
        other = index.npo("Other")
        online = index.offering(
            placed,
            "Resume online",
            tags=["cv", "remote-work"],
            region="Bay Area",
            country="us",
            remote=True,
            deadlines=["2027-02-01"],
        )
        both = index.offering(
            other,
            "Resume both",
            categories=["resume_writing", "mentorship"],
            tags=["cv"],
            region="Lagos",
            country="NG",
            remote=True,
            address="1 Main St",
            deadlines=["2027-01-01", "2027-03-01T09:00:00+00:00"],
        )
        in_person = index.offering(
            other,
            "Resume in person",
            categories=["mentorship"],
            region="bay area",
            country="US",
            address="2 Main St",
        )
        assert find(index, categories=("mentorship",)) == [in_person, both]
        assert find(index, categories=("mentorship", "child_care")) == [
            in_person,
            both,
        ]
        assert find(index, tags=("cv",)) == [both, online]
        assert find(index, tags=("remote-work", "nothing")) == [online]
        assert find(index, npo_id=placed) == [online]
        assert find(index, community_id=community) == [online]
        assert find(index, community_id=str(uuid4())) == []
        assert find(index, region="BAY AREA") == [in_person, online]
        assert find(index, country="us") == [in_person, online]
        assert find(index, format="online") == [both, online]
        assert find(index, format="in_person") == [in_person, both]
        assert find(index, format="either") == [in_person, both, online]
        # Check open deadlines: one still to come (a date-time on its day counts),
        # or none at all.
        assert find(index, open_deadline=True, today=TODAY) == [in_person, both]
        assert find(index, open_deadline=True, today="2027-03-02") == [in_person]
        # Check filters combine with each other and with text.
        assert find(index, "resme", country="US", format="online") == [online]
        with pytest.raises(InvalidFieldError) as refused:
            index.search.search(OfferingQuery(open_deadline=True))
        assert refused.value.field == "today"

    def test_facets_count_every_match_per_category(self, index: Index) -> None:
        npo = index.npo()
        for _ in range(3):
            index.offering(npo, "Resume help", categories=["resume_writing"])
        index.offering(
            npo, "Resume and mentor", categories=["resume_writing", "mentorship"]
        )
        index.offering(npo, "Cooking", categories=["grocery_meals"])
        page = index.search.search(OfferingQuery(text="resume", limit=2))
        assert len(page.hits) == 2
        assert page.total == 4
        assert page.facets == {"resume_writing": 4, "mentorship": 1}
        browse = index.search.search(OfferingQuery(limit=1))
        assert browse.total == 5
        assert browse.facets == {
            "resume_writing": 4,
            "mentorship": 1,
            "grocery_meals": 1,
        }

    def test_a_hit_says_what_the_offering_is(self, index: Index) -> None:
        community = str(uuid4())
        npo = index.npo("Helping Hands", communities=[community])
        offering = index.offering(
            npo,
            "Resume writing",
            summary="Reviews",
            tags=["cv"],
            region="Bay Area",
            country="us",
            remote=True,
            deadlines=["2027-02-01", "2027-04-01", "2027-03-15"],
        )
        hit = index.search.search(OfferingQuery(today=TODAY)).hits[0].offering
        assert hit.offering_id == offering
        assert (hit.npo_id, hit.npo_name) == (npo, "Helping Hands")
        assert (hit.title, hit.summary) == ("Resume writing", "Reviews")
        assert (hit.categories, hit.tags) == (("resume_writing",), ("cv",))
        assert (hit.region, hit.country, hit.format) == ("Bay Area", "US", "online")
        assert hit.community_ids == (community,)
        assert hit.published_at.startswith("2027-01-01")
        # Check the next deadline is the earliest still to come, as of ``today``.
        assert hit.next_deadline == "2027-03-15"

    # -- Pages ------------------------------------------------------------------------

    @pytest.mark.parametrize("text", [None, "resme"])
    def test_the_cursor_is_stable_while_offerings_are_added(
        self, index: Index, text: str | None
    ) -> None:
        npo = index.npo()
        first = [
            index.offering(npo, "Resume clinic" if i % 2 else "Resume writing help")
            for i in range(7)
        ]
        seen: list[str] = []
        query = OfferingQuery(text=text, limit=3)
        page = index.search.search(query)
        while True:
            seen.extend(ids(page))
            # Check offerings added between pages never show twice nor hide others.
            index.offering(npo, "Resume writing")
            if page.next_cursor is None:
                break
            page = index.search.search(
                OfferingQuery(text=text, limit=3, cursor=page.next_cursor)
            )
        assert len(seen) == len(set(seen))
        assert set(first) <= set(seen)

    def test_a_cursor_from_another_search_is_refused(self, index: Index) -> None:
        npo = index.npo()
        for _ in range(3):
            index.offering(npo, "Resume writing")
        cursor = index.search.search(OfferingQuery(text="resume", limit=1)).next_cursor
        assert cursor is not None
        for query in (
            OfferingQuery(text="writing", limit=1, cursor=cursor),
            OfferingQuery(limit=1, cursor=cursor),
            OfferingQuery(text="resume", cursor="not-a-cursor"),
            OfferingQuery(text="resume", cursor="W10"),
        ):
            with pytest.raises(InvalidFieldError) as refused:
                index.search.search(query)
            assert refused.value.field == "cursor"
        # Check the page size does not change what the cursor is for.
        again = OfferingQuery(text="resume", limit=2, cursor=cursor)
        assert len(index.search.search(again).hits) == 2

    # -- For recommendations ----------------------------------------------------------

    def test_matching_offers_any_category_or_tag_newest_first(
        self, index: Index
    ) -> None:
        npo = index.npo()
        by_category = index.offering(npo, "A", categories=["mentorship"])
        by_tag = index.offering(npo, "B", categories=["child_care"], tags=["cv"])
        index.offering(npo, "C", categories=["grocery_meals"])
        search = index.search
        found = search.matching(["mentorship"], ["cv"], 10)
        assert [o.offering_id for o in found] == [by_tag, by_category]
        assert [o.offering_id for o in search.matching(["mentorship"], ["cv"], 1)] == [
            by_tag
        ]
        assert search.matching([], [], 10) == []


class TestSqliteOfferingSearch(OfferingSearchContract):
    @pytest.fixture
    def store(self) -> Iterator[RelationalStore]:
        store = SqliteRelationalStore(None)
        yield store
        store.close()


class TestPostgresOfferingSearch(OfferingSearchContract):
    @pytest.fixture
    def store(
        self, postgres_url: str, postgres_schema: str
    ) -> Iterator[RelationalStore]:
        store = PostgresRelationalStore(postgres_url, 2, schema=postgres_schema)
        yield store
        store.close()

    def test_the_trigram_extension_lives_outside_the_views_schema(
        self, store: RelationalStore, index: Index, postgres_schema: str
    ) -> None:
        # A schema dropped with its views (a test's, a rebuild's) must not take
        # the extension, and every index built on it, with it.
        with store.transaction() as session:
            row = session.fetchone(
                "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
                "ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
            )
        assert row is not None
        assert row[0] != postgres_schema

    def test_the_similarity_sqlite_computes_is_pg_trgm_s(
        self, store: RelationalStore, index: Index
    ) -> None:
        # SQLite finds similar words with ``search_text.similarity``: the same
        # figure PostgreSQL's extension gives, so both stores tolerate one typo
        # alike.
        pairs = [
            ("resme", "resume"),
            ("writting", "writing"),
            ("write", "writing"),
            ("interviw", "interview"),
            ("cv", "cvs"),
            ("a", "b"),
            ("xylophone", "resume"),
            ("daycare", "childcare"),
        ]
        with store.transaction() as session:
            schema = trigram_schema(session)
            assert schema is not None
            for a, b in pairs:
                row = session.fetchone(
                    f'SELECT "{schema}".similarity(%s, %s)::float8', (a, b)
                )
                assert row is not None
                assert similarity(a, b) == pytest.approx(row[0], abs=1e-6), (a, b)
