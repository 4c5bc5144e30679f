"""Reports: an NPO's (NP5, first cut) and a leader's (CL6, first cut)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from domain.base import NotFoundError
from domain.onboarding.offering import OfferingStatus
from ports.documents import DocumentStore
from ports.relational import RelationalStore
from projections.onboarding.npo_reader import NpoRow, NpoSelection
from projections.onboarding.offerings import OfferingReader, OfferingRow
from queries.onboarding.npos import get_npo, npo_page
from queries.onboarding.pages import Page
from queries.onboarding.viewer import Viewer


@dataclass(frozen=True)
class NpoReport:
    """NP5, first cut: the profile, its state, and its offerings with their status."""

    npo: NpoRow
    offerings: list[OfferingRow]  # every one not deleted, oldest first
    offering_counts: dict[str, int]  # by status, the deleted ones too


def npo_report(
    views: RelationalStore, documents: DocumentStore, viewer: Viewer, npo_id: str
) -> NpoReport:
    """For the NPO's members and admins only (``NotFoundError`` for anyone else)."""
    npo = get_npo(views, npo_id)
    if npo is None or not (viewer.user_id in npo.members or viewer.is_admin):
        raise NotFoundError("No such NPO.")
    found = OfferingReader(views, documents).of_npo(npo_id)
    counts = Counter(o.status.value for o in found)
    offerings = [o for o in found if o.status is not OfferingStatus.DELETED]
    return NpoReport(npo, offerings, dict(counts))


def npos_of_leader(
    views: RelationalStore, leader_id: str, cursor: str | None, limit: int | None
) -> Page[NpoRow]:
    """The leader's report (CL6, first cut): the NPOs assigned to them now."""
    return npo_page(views, NpoSelection(leader=leader_id), cursor, limit)
