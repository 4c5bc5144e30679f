"""An NPO's enrolments and engagement report (NP5, NP6), for its members and admins.

An approved offering item on a candidate's roadmap enrols them in the offering
(``projections.careers.enrolments``). The NPO sees:

- **enrolments**: each enrolled candidate with the item's status and progress; by
  name only where the candidate's career profile visibility is ``npos`` (the
  candidates view knows it), otherwise by a stable pseudonym ("Candidate 7F3A9C21":
  an HMAC of the NPO and the candidate with a platform secret, so one NPO sees the
  same pseudonym each time, two NPOs cannot match theirs, and nobody can compute it
  back to the candidate without the secret);
- **engagement**, per offering with enrolments: enrolled, not started, in
  progress, completed, withdrawn, the median days from enrolment to completion, and
  the feedback score (the mean of candidates' ratings of the item, 1 to 5, and
  their count) shown only from ``MIN_RATINGS`` ratings on, so no single
  candidate's rating is exposed; below that the score is absent.

What careers needs from other contexts is declared here as ports the composition
root implements: the NPO's members (onboarding's NPO members view) and people's
names (identity's users view). Careers imports neither context.
"""

from __future__ import annotations

import hashlib
import hmac
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from domain.base import NotFoundError
from domain.careers.roadmap_items import ItemStatus
from domain.careers.values import Visibility
from ports.relational import RelationalStore
from projections.careers.candidates import CandidateReader
from projections.careers.enrolments import EnrolmentRow, EnrolmentsReader
from queries.careers.mentors import Page
from queries.cursors import decode_cursor, encode_cursor

MIN_RATINGS = 3
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50
NO_NPO = "No such NPO."
SECONDS_PER_DAY = Decimal(86_400)


class NpoMembers(Protocol):
    """Who belongs to an NPO (onboarding's NPO members view)."""

    def members_of(self, npo_id: str) -> frozenset[str] | None:
        """The NPO's members' user ids; None if there is no such NPO."""
        ...


class PeopleNames(Protocol):
    """People's names (identity's users view)."""

    def name_of(self, user_id: str) -> str | None:
        """The person's name as they gave it; None if unknown or erased."""
        ...


@dataclass(frozen=True)
class Viewer:
    user_id: str
    is_admin: bool


@dataclass(frozen=True)
class Enrolment:
    """An enrolment as the NPO sees it: ``name`` or ``pseudonym``, never both."""

    row: EnrolmentRow
    name: str | None
    pseudonym: str | None


@dataclass(frozen=True)
class FeedbackScore:
    mean: Decimal  # one decimal, halves up
    count: int


@dataclass(frozen=True)
class OfferingEngagement:
    offering_id: str
    enrolled: int
    not_started: int
    in_progress: int
    completed: int
    withdrawn: int
    median_days_to_complete: Decimal | None  # one decimal, halves up
    feedback: FeedbackScore | None  # None below MIN_RATINGS ratings


def pseudonym(secret: bytes, npo_id: str, candidate_id: str) -> str:
    """The candidate's stable pseudonym for this NPO: 32 bits of the HMAC, so two
    of an NPO's candidates share one only past tens of thousands of them."""
    digest = hmac.new(secret, f"{npo_id}:{candidate_id}".encode(), hashlib.sha256)
    return f"Candidate {digest.hexdigest()[:8].upper()}"


def _check_access(members: NpoMembers, viewer: Viewer, npo_id: str) -> None:
    found = members.members_of(npo_id)
    if found is None or not (viewer.is_admin or viewer.user_id in found):
        raise NotFoundError(NO_NPO)


def npo_enrolments(
    views: RelationalStore,
    members: NpoMembers,
    people: PeopleNames,
    *,
    secret: bytes,
    viewer: Viewer,
    npo_id: str,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[Enrolment]:
    """The NPO's enrolments, the earliest first (``NotFoundError`` for anyone but
    its members and admins)."""
    _check_access(members, viewer, npo_id)
    size = max(1, min(limit or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE))
    after = None
    if cursor:
        enrolled_at, roadmap_id, item_id = decode_cursor(cursor, 3)
        after = (enrolled_at, roadmap_id, item_id)
    rows = EnrolmentsReader(views).of_npo(npo_id, after, size + 1)
    more = len(rows) > size
    rows = rows[:size]
    candidates = CandidateReader(views)
    shown = []
    for row in rows:
        candidate = candidates.get(row.candidate_id)
        name = None
        if candidate is not None and candidate.visibility == Visibility.NPOS:
            name = people.name_of(row.candidate_id)
        shown.append(
            Enrolment(
                row,
                name,
                None if name else pseudonym(secret, npo_id, row.candidate_id),
            )
        )
    last = rows[-1] if more and rows else None
    next_cursor = (
        encode_cursor(last.enrolled_at, last.roadmap_id, last.item_id) if last else None
    )
    return Page(shown, next_cursor)


def npo_engagement(
    views: RelationalStore, members: NpoMembers, viewer: Viewer, npo_id: str
) -> list[OfferingEngagement]:
    """Per offering of the NPO with enrolments, by offering id (``NotFoundError``
    for anyone but its members and admins)."""
    _check_access(members, viewer, npo_id)
    by_offering: dict[str, list[EnrolmentRow]] = defaultdict(list)
    for row in EnrolmentsReader(views).of_npo(npo_id):
        by_offering[row.offering_id].append(row)
    return [engagement_of(o, by_offering[o]) for o in sorted(by_offering)]


def engagement_of(offering_id: str, rows: list[EnrolmentRow]) -> OfferingEngagement:
    """One offering's figures from its enrolments (see the module)."""
    counts = {s: sum(1 for r in rows if r.status == s) for s in ItemStatus}
    days = [
        _days(r.enrolled_at, r.completed_at)
        for r in rows
        if r.status == ItemStatus.COMPLETED and r.completed_at is not None
    ]
    ratings = [r.rating for r in rows if r.rating is not None]
    feedback = None
    if len(ratings) >= MIN_RATINGS:
        mean = Decimal(sum(ratings)) / Decimal(len(ratings))
        feedback = FeedbackScore(_one_decimal(mean), len(ratings))
    return OfferingEngagement(
        offering_id=offering_id,
        enrolled=len(rows),
        not_started=counts[ItemStatus.NOT_STARTED],
        in_progress=counts[ItemStatus.IN_PROGRESS],
        completed=counts[ItemStatus.COMPLETED],
        withdrawn=counts[ItemStatus.WITHDRAWN],
        median_days_to_complete=(
            _one_decimal(statistics.median(days)) if days else None
        ),
        feedback=feedback,
    )


def _days(start: str, end: str) -> Decimal:
    elapsed = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    return Decimal(int(elapsed.total_seconds() * 1_000_000)) / (
        SECONDS_PER_DAY * 1_000_000
    )


def _one_decimal(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
