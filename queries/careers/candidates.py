"""Reads of candidates' career records: their own, and a candidate for an admin
or their mentor.

Who sees what (C1): a candidate sees only their own record and assessments; an
admin sees any; the assigned mentor sees their mentee's when the candidate's
visibility is ``mentors`` or ``npos``; anyone else is told there is no such
candidate (404, so ids are not confirmed). NPOs see nothing of candidates here.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.base import NotFoundError
from domain.careers.values import ROLE_ADMIN, ROLE_CAREER_MENTOR, Visibility
from ports.relational import RelationalStore
from projections.careers.candidates import AssessmentRow, CandidateReader, CandidateRow
from queries.cursors import InvalidCursorError, decode_cursor, encode_cursor

NO_RECORD = "No career record yet: save your career profile or complete an assessment."
NO_CANDIDATE = "No such candidate."
# Whom a mentor may see, by the candidate's choice.
SEEN_BY_MENTOR = frozenset({Visibility.MENTORS, Visibility.NPOS})


@dataclass(frozen=True)
class AssessmentPage:
    items: list[AssessmentRow]
    next_cursor: str | None


@dataclass(frozen=True)
class CandidateDetail:
    """A candidate as an admin or their mentor sees them."""

    candidate: CandidateRow
    latest_assessment: AssessmentRow | None


def own_record(views: RelationalStore, candidate_id: str) -> CandidateRow:
    """The caller's own career record (404 until their first career action)."""
    found = CandidateReader(views).get(candidate_id)
    if found is None:
        raise NotFoundError(NO_RECORD)
    return found


def own_assessments(
    views: RelationalStore, candidate_id: str, *, cursor: str | None, limit: int
) -> AssessmentPage:
    """The caller's completed assessments, newest first, a page at a time."""
    before = None
    if cursor is not None:
        [number] = decode_cursor(cursor, 1)
        if not number.isdigit():
            raise InvalidCursorError
        before = int(number)
    items = CandidateReader(views).assessments(
        candidate_id, before=before, limit=limit + 1
    )
    more = len(items) > limit
    items = items[:limit]
    return AssessmentPage(
        items, encode_cursor(str(items[-1].number)) if more and items else None
    )


def candidate_for(
    views: RelationalStore,
    viewer_id: str,
    viewer_roles: frozenset[str],
    candidate_id: str,
) -> CandidateDetail:
    """A candidate for an admin, or for their assigned mentor when the candidate's
    visibility allows; 404 for anyone else."""
    reader = CandidateReader(views)
    found = reader.get(candidate_id)
    if found is None or not _may_see(viewer_id, viewer_roles, found):
        raise NotFoundError(NO_CANDIDATE)
    return CandidateDetail(found, reader.latest_assessment(candidate_id))


def _may_see(viewer_id: str, roles: frozenset[str], candidate: CandidateRow) -> bool:
    if ROLE_ADMIN in roles:
        return True
    return (
        ROLE_CAREER_MENTOR in roles
        and candidate.mentor_id == viewer_id
        and candidate.visibility in SEEN_BY_MENTOR
    )
