"""What recommendations are computed from on careers' side, and its typed reader.

Recommendations (``queries.careers.recommendations``) are computed on each read from
two projected views: this one (each candidate's latest needs assessment and their
mentor's suggestions) and the offering search view (``ports.offering_search``),
which holds only visible offerings, so an offering taken down or an NPO deleted
leaves every candidate's list at once, and a new assessment changes it at once.

Tables (PostgreSQL; SQLite embedded), kept by one projection so a batch changes them
with its tracked position in one transaction:

- ``car_rec_needs``: one row per assessed candidate, the latest assessment (as
  ``NeedsAssessment.to_state``, JSON);
- ``car_rec_suggestions``: one row per (candidate, offering) a mentor suggested,
  with the mentor and their note.

Both hold personal data: a candidate's rows are deleted when the person is erased
(``Candidate.Erased``, which the careers process manager records when identity
erases the person), and an event
whose personal fields read as erased (a rebuild after the erasure) writes nothing.
"""

# Table names come from ViewNames (code), never from input; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from domain.careers.assessment import NeedsAssessment
from domain.personal_data import is_erased
from ports.relational import RelationalStore, SqlSession
from projections.contracts import ProjectedEvent, Projection
from projections.engine import live_names

RECOMMENDATIONS_PROJECTION = "careers_recommendations"
NEEDS_TABLE = "car_rec_needs"
SUGGESTIONS_TABLE = "car_rec_suggestions"


def _when(item: ProjectedEvent) -> str:
    timestamp = getattr(item.event, "timestamp", None)
    if isinstance(timestamp, datetime):
        return timestamp.isoformat(timespec="microseconds")
    return ""


class RecommendationInputs(Projection):
    """Each candidate's latest assessment and their mentor's suggestions."""

    name = RECOMMENDATIONS_PROJECTION
    sources: ClassVar[tuple[str, ...]] = ("careers",)

    def setup(self, session: SqlSession) -> None:
        needs = self.names.table(NEEDS_TABLE)
        suggestions = self.names.table(SUGGESTIONS_TABLE)
        session.execute(
            f"CREATE TABLE IF NOT EXISTS {needs} (candidate_id TEXT PRIMARY KEY, "
            "assessment TEXT NOT NULL, number INTEGER NOT NULL, "
            "assessed_at TEXT NOT NULL)"
        )
        session.execute(
            f"CREATE TABLE IF NOT EXISTS {suggestions} (candidate_id TEXT NOT NULL, "
            "offering_id TEXT NOT NULL, mentor_id TEXT NOT NULL, note TEXT, "
            "suggested_at TEXT NOT NULL, PRIMARY KEY (candidate_id, offering_id))"
        )

    def drop(self, session: SqlSession) -> None:
        for base in (NEEDS_TABLE, SUGGESTIONS_TABLE):
            session.execute(f"DROP TABLE IF EXISTS {self.names.table(base)}")

    def apply(self, session: SqlSession, events: Sequence[ProjectedEvent]) -> None:
        for item in events:
            found = self._appliers.get(item.topic.rpartition(":")[2])
            if found is not None:
                found(self, session, item)

    def _assessed(self, session: SqlSession, item: ProjectedEvent) -> None:
        candidate_id = str(item.originator_id)
        assessment = item.event.assessment  # type: ignore[attr-defined]
        if is_erased(assessment):
            return  # the person is erased: nothing of theirs is written
        session.execute(
            f"INSERT INTO {self.names.table(NEEDS_TABLE)} (candidate_id, assessment, "
            "number, assessed_at) VALUES (%s, %s, %s, %s) ON CONFLICT (candidate_id) "
            "DO UPDATE SET assessment = excluded.assessment, number = excluded.number, "
            "assessed_at = excluded.assessed_at",
            (
                candidate_id,
                json.dumps(assessment, sort_keys=True),
                int(item.event.number),  # type: ignore[attr-defined]
                _when(item),
            ),
        )

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
        for base in (NEEDS_TABLE, SUGGESTIONS_TABLE):
            session.execute(
                f"DELETE FROM {self.names.table(base)} WHERE candidate_id = %s",
                (str(item.originator_id),),
            )

    _appliers: ClassVar[
        dict[str, Callable[[RecommendationInputs, SqlSession, ProjectedEvent], None]]
    ] = {
        "Candidate.AssessmentCompleted": _assessed,
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
    """Typed reads of the live version of the view."""

    def __init__(self, views: RelationalStore) -> None:
        self._views = views

    def of(self, candidate_id: str) -> CandidateNeedsRow:
        with self._views.transaction() as session:
            names = live_names(session, RECOMMENDATIONS_PROJECTION)
            needs = session.fetchone(
                f"SELECT assessment, number, assessed_at FROM "
                f"{names.table(NEEDS_TABLE)} WHERE candidate_id = %s",
                (candidate_id,),
            )
            suggested = session.fetchall(
                f"SELECT offering_id, mentor_id, note, suggested_at FROM "
                f"{names.table(SUGGESTIONS_TABLE)} WHERE candidate_id = %s "
                "ORDER BY suggested_at DESC, offering_id",
                (candidate_id,),
            )
        return CandidateNeedsRow(
            candidate_id=candidate_id,
            assessment=(
                NeedsAssessment.from_state(json.loads(str(needs[0]))) if needs else None
            ),
            assessment_number=int(needs[1]) if needs else None,
            assessed_at=str(needs[2]) if needs else None,
            suggestions=tuple(
                SuggestionRow(str(r[0]), str(r[1]), r[2], str(r[3])) for r in suggested
            ),
        )
