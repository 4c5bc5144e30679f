"""Reads of NPOs: one NPO as the viewer may see it, the lists of NPOs, and the
offering flow's offering → NPO mapping."""

from __future__ import annotations

from domain.base import NotFoundError
from domain.onboarding.npo import RegistrationStatus, VerificationStatus
from ports.relational import RelationalStore
from projections.onboarding.npo_reader import NpoReader, NpoRow, NpoSelection
from queries.cursors import encode_cursor
from queries.onboarding.pages import Page, after, page_size
from queries.onboarding.viewer import Viewer


def get_npo(views: RelationalStore, npo_id: str) -> NpoRow | None:
    """The NPO's row with its members, communities and offerings (no rules)."""
    return NpoReader(views).get(npo_id)


def visible_npo(views: RelationalStore, viewer: Viewer, npo_id: str) -> NpoRow:
    """The NPO if the viewer may see at least its public part."""
    found = get_npo(views, npo_id)
    if found is None or not viewer.may_see(found):
        raise NotFoundError("No such NPO.")
    return found


def npo_page(
    views: RelationalStore,
    selection: NpoSelection,
    cursor: str | None,
    limit: int | None,
) -> Page[NpoRow]:
    """A page of NPOs in creation order (rows without members: see ``NpoRow``)."""
    size = page_size(limit)
    rows = NpoReader(views).list(selection, after(cursor), size + 1)
    items = rows[:size]
    more = len(rows) > size
    next_cursor = (
        encode_cursor(items[-1].created_at, items[-1].id) if more and items else None
    )
    return Page(items, next_cursor)


def npos_of_member(
    views: RelationalStore, user_id: str, cursor: str | None, limit: int | None
) -> Page[NpoRow]:
    """The NPOs the user belongs to (deleted ones too: they may want to know)."""
    return npo_page(views, NpoSelection(member=user_id), cursor, limit)


def npos_admin(
    views: RelationalStore,
    *,
    registration: str | None,
    verification: str | None,
    approved: bool | None,
    waiting: bool | None,
    cursor: str | None,
    limit: int | None,
) -> Page[NpoRow]:
    """Admins' list of NPOs not deleted, filtered (what to approve, what is
    flagged, who waits)."""
    selection = NpoSelection(
        alive=True,
        registration=RegistrationStatus(registration) if registration else None,
        verification=VerificationStatus(verification) if verification else None,
        approved=approved,
        waiting=waiting,
    )
    return npo_page(views, selection, cursor, limit)


def npo_of_offering(views: RelationalStore, offering_id: str) -> str | None:
    """The offering flow's mapping: which NPO an offering was recorded for."""
    return NpoReader(views).npo_of_offering(offering_id)
