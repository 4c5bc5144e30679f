"""What a caller may see of a report, from the views as they are now.

A role reads a report narrowed (``catalogue.Narrowing``): an NPO member to the NPOs
they belong to (deleted ones too), a leader to the communities they lead, a mentor
to their current mentees, a candidate to themselves, an admin to everything. A
caller holding several roles sees what any of them lets them see. Candidates are
named by user id here; the export names them by pseudonym, which the adapter
running the report works out.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from domain.base import NotAllowedError
from ports.relational import RelationalStore
from projections.careers.mentors import MentorsReader
from projections.onboarding.communities import CommunityReader
from projections.onboarding.npo_reader import NpoReader, NpoRow, NpoSelection
from queries.reports.catalogue import Narrowing, Report

_PAGE = 500


@dataclass(frozen=True)
class Scope:
    """The rows a caller sees: everything, or those of these NPOs, communities and
    candidates (user ids)."""

    narrowings: tuple[Narrowing, ...]
    everything: bool = False
    npo_ids: tuple[str, ...] = ()
    community_ids: tuple[str, ...] = ()
    candidate_ids: tuple[str, ...] = ()

    def describe(self) -> dict[str, object]:
        """What the answer says of its scope: ids of NPOs and communities (not
        personal), only the number of candidates."""
        described: dict[str, object] = {
            "narrowed_to": [n.value for n in self.narrowings]
        }
        if not self.everything:
            described["npo_ids"] = list(self.npo_ids)
            described["community_ids"] = list(self.community_ids)
            described["candidates"] = len(self.candidate_ids)
        return described


def scope_of(
    report: Report, user_id: str, roles: frozenset[str], views: RelationalStore
) -> Scope:
    """The caller's scope of ``report``; ``NotAllowedError`` when none of their
    roles may read it."""
    narrowings = report.narrowing_for(roles)
    if not narrowings:
        raise NotAllowedError("Your roles do not allow this report.")
    if Narrowing.EVERYTHING in narrowings:
        return Scope(narrowings, everything=True)
    npos: tuple[str, ...] = ()
    communities: tuple[str, ...] = ()
    candidates: list[str] = []
    if Narrowing.OWN_NPOS in narrowings:
        npos = tuple(n.id for n in _npos(views, NpoSelection(member=user_id)))
    if Narrowing.LED_COMMUNITIES in narrowings:
        communities = led_communities(views, user_id)
    if Narrowing.MENTEES in narrowings:
        candidates += [m.candidate_id for m in MentorsReader(views).mentees_of(user_id)]
    if Narrowing.SELF in narrowings:
        candidates.append(user_id)
    return Scope(
        narrowings,
        npo_ids=npos,
        community_ids=communities,
        candidate_ids=tuple(dict.fromkeys(candidates)),
    )


def led_communities(views: RelationalStore, leader_id: str) -> tuple[str, ...]:
    """The communities the leader leads now, in founding order."""
    return tuple(
        c.id for c in CommunityReader(views).communities() if leader_id in c.leaders
    )


def _npos(views: RelationalStore, selection: NpoSelection) -> Iterator[NpoRow]:
    """Every NPO of ``selection``, page by page."""
    reader = NpoReader(views)
    after: Sequence[str] | None = None
    while True:
        rows = reader.list(selection, after, _PAGE)
        yield from rows
        if len(rows) < _PAGE:
            return
        after = (rows[-1].created_at, rows[-1].id)


def npos_of(views: RelationalStore, selection: NpoSelection) -> list[NpoRow]:
    """Every NPO of ``selection`` (the live reports' work lists)."""
    return list(_npos(views, selection))
