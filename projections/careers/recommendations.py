"""The mentors' suggestions (CM4), and what recommendations are computed from.

Recommendations (``queries.careers.recommendations``) are computed on each read from
two projected views: careers' (the candidate's latest needs assessment, kept by the
candidates view, and their mentor's suggestions, kept here) and the offering search
view (``ports.offering_search``), which holds only visible offerings, so an offering
taken down or an NPO deleted leaves every candidate's list at once, and a new
assessment changes it at once.

Table (PostgreSQL; SQLite embedded): ``car_rec_suggestions``, one row per
(candidate, offering) a mentor suggested, with the mentor and their note. The note
is personal data: a candidate's rows are deleted when the person is erased
(``Candidate.Erased``, which the careers process manager records when identity
erases the person), and an event whose note reads as erased (a rebuild after the
erasure) writes nothing.
"""

# Table names come from ViewNames (code), never from input; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from domain.careers.assessment import NeedsAssessment
from domain.personal_data import is_erased
from ports.relational import RelationalStore, SqlSession
from projections.careers.candidates import CandidateReader
from projections.contracts import ProjectedEvent, Projection
from projections.engine import live_names

RECOMMENDATIONS_PROJECTION = "careers_recommendations"
SUGGESTIONS_TABLE = "car_rec_suggestions"


def _when(item: ProjectedEvent) -> str:
    timestamp = getattr(item.event, "timestamp", None)
    if isinstance(timestamp, datetime):
        return timestamp.isoformat(timespec="microseconds")
    return ""


class RecommendationInputs(Projection):
    """Each candidate's suggestions from their mentor."""

    name = RECOMMENDATIONS_PROJECTION
    sources: ClassVar[tuple[str, ...]] = ("careers",)

    def setup(self, session: SqlSession) -> None:
        suggestions = self.names.table(SUGGESTIONS_TABLE)
        session.execute(
            f"CREATE TABLE IF NOT EXISTS {suggestions} (candidate_id TEXT NOT NULL, "
            "offering_id TEXT NOT NULL, mentor_id TEXT NOT NULL, note TEXT, "
            "suggested_at TEXT NOT NULL, PRIMARY KEY (candidate_id, offering_id))"
        )

    def drop(self, session: SqlSession) -> None:
        session.execute(f"DROP TABLE IF EXISTS {self.names.table(SUGGESTIONS_TABLE)}")

    def apply(self, session: SqlSession, events: Sequence[ProjectedEvent]) -> None:
        for item in events:
            found = self._appliers.get(item.topic.rpartition(":")[2])
            if found is not None:
                found(self, session, item)

    def _suggested(self, session: SqlSession, item: ProjectedEvent) -> None:
        event: Any = item.event
        if is_erased(event.note):
            return
        session.execute(
            f"INSERT INTO {self.names.table(SUGGESTIONS_TABLE)} (candidate_id, "
            "offering_id, mentor_id, note, suggested_at) VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (candidate_id, offering_id) DO UPDATE SET "
            "mentor_id = excluded.mentor_id, note = excluded.note, "
            "suggested_at = excluded.suggested_at",
            (
                str(item.originator_id),
                str(event.offering_id),
                str(event.mentor_id),
                event.note,
                _when(item),
            ),
        )

    def _erased(self, session: SqlSession, item: ProjectedEvent) -> None:
        session.execute(
            f"DELETE FROM {self.names.table(SUGGESTIONS_TABLE)} "
            "WHERE candidate_id = %s",
            (str(item.originator_id),),
        )

    _appliers: ClassVar[
        dict[str, Callable[[RecommendationInputs, SqlSession, ProjectedEvent], None]]
    ] = {
        "Candidate.OfferingSuggested": _suggested,
        "Candidate.Erased": _erased,
    }


# --- Reading -------------------------------------------------------------------------


@dataclass(frozen=True)
class SuggestionRow:
    offering_id: str
    mentor_id: str
    note: str | None
    suggested_at: str


@dataclass(frozen=True)
class CandidateNeedsRow:
    """A candidate's latest assessment (None before the first) and suggestions,
    newest first."""

    candidate_id: str
    assessment: NeedsAssessment | None
    assessment_number: int | None
    assessed_at: str | None
    suggestions: tuple[SuggestionRow, ...]


class RecommendationInputsReader:
    """Typed reads of the live versions: the latest assessment from the candidates
    view, the suggestions from this one."""

    def __init__(self, views: RelationalStore) -> None:
        self._views = views

    def of(self, candidate_id: str) -> CandidateNeedsRow:
        with self._views.transaction() as session:
            names = live_names(session, RECOMMENDATIONS_PROJECTION)
            suggested = session.fetchall(
                f"SELECT offering_id, mentor_id, note, suggested_at FROM "
                f"{names.table(SUGGESTIONS_TABLE)} WHERE candidate_id = %s "
                "ORDER BY suggested_at DESC, offering_id",
                (candidate_id,),
            )
        latest = CandidateReader(self._views).latest_assessment(candidate_id)
        return CandidateNeedsRow(
            candidate_id=candidate_id,
            assessment=latest.assessment if latest else None,
            assessment_number=latest.number if latest else None,
            assessed_at=latest.completed_at if latest else None,
            suggestions=tuple(
                SuggestionRow(str(r[0]), str(r[1]), r[2], str(r[3])) for r in suggested
            ),
        )
