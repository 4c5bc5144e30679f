"""The offering search view on the embedded store, filled directly, for tests.

Recommendation tests need visible offerings without onboarding's whole flow. This
writes the real search view (SQLite FTS5, ``projections.onboarding``) with its own
writer, the way the projection does, and reads it through the real reader: what a
test finds here is what the port's contract suite (``tests/contract``) checks.

``publish`` makes an offering visible as an ``OfferingSummary`` describes it (its
NPO registered and approved on first use); ``hide`` takes it down; ``hide_npo``
deletes its NPO.
"""

from __future__ import annotations

from adapters.embedded.views import SqliteRelationalStore
from domain.onboarding.offering import OfferingStatus
from ports.offering_search import OfferingSearch, OfferingSummary
from projections.contracts import ViewNames
from projections.engine.tracking import ensure_tracking_schema
from projections.onboarding.offering_search import (
    SEARCH_PROJECTION,
    IndexedContent,
    IndexedOffering,
    writer_for,
)
from projections.onboarding.offering_search_reader import offering_search_for


class SearchIndex:
    """The search view in an in-memory SQLite database, and its reader."""

    def __init__(self) -> None:
        self.store = SqliteRelationalStore(None)
        ensure_tracking_schema(self.store)
        with self.store.transaction() as session:
            self._writer = writer_for(session, ViewNames(SEARCH_PROJECTION, 1))
            self._writer.setup(session)
        self._npos: set[str] = set()
        self.search: OfferingSearch = offering_search_for(self.store)

    def close(self) -> None:
        self.store.close()

    def publish(self, offering: OfferingSummary) -> None:
        """The offering is visible, as ``offering`` describes it."""
        with self.store.transaction() as session:
            if offering.npo_id not in self._npos:
                self._writer.npo_registered(session, offering.npo_id, offering.npo_name)
                self._writer.npo_approved(session, offering.npo_id)
                self._npos.add(offering.npo_id)
            self._writer.offerings_published(
                session,
                [
                    IndexedOffering(
                        offering_id=offering.offering_id,
                        npo_id=offering.npo_id,
                        content=IndexedContent(
                            title=offering.title,
                            summary=offering.summary,
                            categories=offering.categories,
                            tags=offering.tags,
                            region=offering.region,
                            country=offering.country,
                            format=offering.format,
                            dues=(),
                            body="",
                        ),
                        published_at=offering.published_at,
                    )
                ],
            )

    def hide(self, offering_id: str) -> None:
        """The offering is taken down."""
        with self.store.transaction() as session:
            self._writer.offering_status(
                session, offering_id, OfferingStatus.TAKEN_DOWN
            )

    def hide_npo(self, npo_id: str) -> None:
        """The NPO is deleted: all its offerings go."""
        with self.store.transaction() as session:
            self._writer.npo_deleted(session, npo_id)
