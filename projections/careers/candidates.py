"""The candidates view: each candidate's profile, status, badges, engagement and
assessment history (``Candidate`` events), and its typed reader.

PostgreSQL, or SQLite embedded; one projection, ``careers_candidates``, so a batch
changes its tables together with its tracked position (exactly once):

- ``careers_candidates``: one row per candidate: status, onboarding, visibility,
  the profile (JSON), the mentor, and the engagement summary (#5) computed here
  from what careers knows: member since, assessments taken, profile updates, the
  days on which the candidate themselves did something (``days_active``) and when
  they last did (``last_active_at``);
- ``careers_assessments``: every completed assessment (JSON), by number;
- ``careers_badges``: each badge a candidate earned, and when.

The profile and assessments are personal data in the clear here: an erased
candidate's rows are deleted (``Candidate.Erased``). A value read as erased (its
key destroyed before this view applied it) is never written.

Status follows the mentor events by name (``Candidate.MentorAssigned``: MENTORED
with that mentor; ``WaitingForMentor``: WAITING_FOR_MENTOR; ``MentorUnassigned``:
ASSESSED, no mentor).
"""

# Table names come from ViewNames (code), never from input; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from domain.careers.assessment import NeedsAssessment
from domain.careers.badges import BadgeKind
from domain.careers.profile import CareerProfile
from domain.careers.values import CandidateStatus, OnboardingStatus, Visibility
from ports.relational import RelationalStore, Row, SqlSession
from projections.contracts import ProjectedEvent, Projection
from projections.engine import live_names

CANDIDATES_PROJECTION = "careers_candidates"
CANDIDATES = "careers_candidates"
ASSESSMENTS = "careers_assessments"
BADGES = "careers_badges"

_COLUMNS = (
    "id",
    "status",
    "onboarding",
    "visibility",
    "profile",
    "mentor_id",
    "registered_at",
    "assessments_taken",
    "profile_updates",
    "days_active",
    "last_active_at",
)


def _when(item: ProjectedEvent) -> str:
    timestamp = getattr(item.event, "timestamp", None)
    if not isinstance(timestamp, datetime):
        timestamp = datetime.now(UTC)
    return timestamp.astimezone(UTC).isoformat(timespec="microseconds")


# --- Rows ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Engagement:
    """What careers knows of a candidate's engagement (#5)."""

    member_since: str
    assessments_taken: int
    profile_updates: int
    days_active: int
    last_active_at: str | None


@dataclass(frozen=True)
class BadgeRow:
    kind: BadgeKind
    earned_at: str


@dataclass(frozen=True)
class CandidateRow:
    id: str
    status: CandidateStatus
    onboarding: OnboardingStatus
    visibility: Visibility
    profile: CareerProfile | None
    mentor_id: str | None
    badges: tuple[BadgeRow, ...]
    engagement: Engagement


@dataclass(frozen=True)
class AssessmentRow:
    number: int
    completed_at: str
    assessment: NeedsAssessment


# --- The projection -----------------------------------------------------------------


class CandidatesView(Projection):
    """Candidate events -> the candidates' rows, assessments and badges."""

    name = CANDIDATES_PROJECTION
    sources: ClassVar[tuple[str, ...]] = ("careers",)

    def t(self, base: str) -> str:
        return self.names.table(base)

    def setup(self, session: SqlSession) -> None:
        session.execute(
            f"CREATE TABLE IF NOT EXISTS {self.t(CANDIDATES)} ("
            "id TEXT PRIMARY KEY, status TEXT NOT NULL, onboarding TEXT NOT NULL, "
            "visibility TEXT NOT NULL, profile TEXT, mentor_id TEXT, "
            "registered_at TEXT NOT NULL, assessments_taken INTEGER NOT NULL, "
            "profile_updates INTEGER NOT NULL, days_active INTEGER NOT NULL, "
            "last_active_at TEXT)"
        )
        session.execute(
            f"CREATE INDEX IF NOT EXISTS {self.t(CANDIDATES)}_mentor "
            f"ON {self.t(CANDIDATES)} (mentor_id)"
        )
        session.execute(
            f"CREATE TABLE IF NOT EXISTS {self.t(ASSESSMENTS)} ("
            "candidate_id TEXT NOT NULL, number INTEGER NOT NULL, "
            "completed_at TEXT NOT NULL, assessment TEXT NOT NULL, "
            "PRIMARY KEY (candidate_id, number))"
        )
        session.execute(
            f"CREATE TABLE IF NOT EXISTS {self.t(BADGES)} ("
            "candidate_id TEXT NOT NULL, badge TEXT NOT NULL, "
            "earned_at TEXT NOT NULL, PRIMARY KEY (candidate_id, badge))"
        )

    def drop(self, session: SqlSession) -> None:
        for base in (CANDIDATES, ASSESSMENTS, BADGES):
            session.execute(f"DROP TABLE IF EXISTS {self.t(base)}")

    def apply(self, session: SqlSession, events: Sequence[ProjectedEvent]) -> None:
        for item in events:
            handler = _HANDLERS.get(item.topic.rpartition(":")[2])
            if handler is not None:
                handler(self, session, item)

    # -- Events ------------------------------------------------------------------------

    def _registered(self, session: SqlSession, item: ProjectedEvent) -> None:
        session.execute(
            f"INSERT INTO {self.t(CANDIDATES)} ({', '.join(_COLUMNS)}) VALUES "
            f"({', '.join(['%s'] * len(_COLUMNS))})",
            (
                str(item.originator_id),
                CandidateStatus.REGISTERED.value,
                OnboardingStatus.PENDING.value,
                Visibility.PRIVATE.value,
                None,
                None,
                _when(item),
                0,
                0,
                0,
                None,
            ),
        )

    def _profile_updated(self, session: SqlSession, item: ProjectedEvent) -> None:
        profile = getattr(item.event, "profile", None)
        session.execute(
            f"UPDATE {self.t(CANDIDATES)} SET profile = %s, visibility = %s, "
            "profile_updates = profile_updates + 1 WHERE id = %s",
            (
                json.dumps(profile) if isinstance(profile, dict) else None,
                str(getattr(item.event, "visibility", Visibility.PRIVATE.value)),
                str(item.originator_id),
            ),
        )
        self._active(session, item)

    def _assessment_completed(self, session: SqlSession, item: ProjectedEvent) -> None:
        candidate = str(item.originator_id)
        assessment = getattr(item.event, "assessment", None)
        if isinstance(assessment, dict):
            session.execute(
                f"INSERT INTO {self.t(ASSESSMENTS)} (candidate_id, number, "
                "completed_at, assessment) VALUES (%s, %s, %s, %s)",
                (
                    candidate,
                    int(getattr(item.event, "number", 0)),
                    _when(item),
                    json.dumps(assessment),
                ),
            )
        session.execute(
            f"UPDATE {self.t(CANDIDATES)} SET onboarding = %s, "
            "assessments_taken = assessments_taken + 1, "
            "status = CASE WHEN status = %s THEN %s ELSE status END WHERE id = %s",
            (
                OnboardingStatus.COMPLETE.value,
                CandidateStatus.REGISTERED.value,
                CandidateStatus.ASSESSED.value,
                candidate,
            ),
        )
        self._active(session, item)

    def _badge_earned(self, session: SqlSession, item: ProjectedEvent) -> None:
        session.execute(
            f"INSERT INTO {self.t(BADGES)} (candidate_id, badge, earned_at) "
            "VALUES (%s, %s, %s) ON CONFLICT (candidate_id, badge) DO NOTHING",
            (
                str(item.originator_id),
                str(getattr(item.event, "badge", "")),
                _when(item),
            ),
        )

    def _mentor_assigned(self, session: SqlSession, item: ProjectedEvent) -> None:
        mentor = getattr(item.event, "mentor_id", None)
        self._mentoring(
            session,
            item,
            CandidateStatus.MENTORED,
            str(mentor) if mentor is not None else None,
        )

    def _waiting(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._mentoring(session, item, CandidateStatus.WAITING_FOR_MENTOR, None)

    def _mentor_unassigned(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._mentoring(session, item, CandidateStatus.ASSESSED, None)

    def _mentoring(
        self,
        session: SqlSession,
        item: ProjectedEvent,
        status: CandidateStatus,
        mentor: str | None,
    ) -> None:
        session.execute(
            f"UPDATE {self.t(CANDIDATES)} SET status = %s, mentor_id = %s "
            "WHERE id = %s",
            (status.value, mentor, str(item.originator_id)),
        )

    def _erased(self, session: SqlSession, item: ProjectedEvent) -> None:
        candidate = str(item.originator_id)
        session.execute(f"DELETE FROM {self.t(CANDIDATES)} WHERE id = %s", (candidate,))
        for base in (ASSESSMENTS, BADGES):
            session.execute(
                f"DELETE FROM {self.t(base)} WHERE candidate_id = %s", (candidate,)
            )

    def _active(self, session: SqlSession, item: ProjectedEvent) -> None:
        """The candidate themselves acted: a new day counts once."""
        candidate = str(item.originator_id)
        if str(getattr(item.event, "actor_id", "")) != candidate:
            return
        at = _when(item)
        row = session.fetchone(
            f"SELECT last_active_at FROM {self.t(CANDIDATES)} WHERE id = %s",
            (candidate,),
        )
        if row is None:
            return
        new_day = row[0] is None or str(row[0])[:10] != at[:10]
        session.execute(
            f"UPDATE {self.t(CANDIDATES)} SET last_active_at = %s, "
            "days_active = days_active + %s WHERE id = %s",
            (at, 1 if new_day else 0, candidate),
        )


_HANDLERS: dict[str, Callable[[CandidatesView, SqlSession, ProjectedEvent], None]] = {
    "Candidate.Registered": CandidatesView._registered,
    "Candidate.ProfileUpdated": CandidatesView._profile_updated,
    "Candidate.AssessmentCompleted": CandidatesView._assessment_completed,
    "Candidate.BadgeEarned": CandidatesView._badge_earned,
    "Candidate.MentorAssigned": CandidatesView._mentor_assigned,
    "Candidate.WaitingForMentor": CandidatesView._waiting,
    "Candidate.MentorUnassigned": CandidatesView._mentor_unassigned,
    "Candidate.Erased": CandidatesView._erased,
}


# --- The reader ---------------------------------------------------------------------

_BADGE_KINDS = frozenset(kind.value for kind in BadgeKind)


def _candidate(row: Row, badges: Sequence[Row]) -> CandidateRow:
    values: dict[str, Any] = dict(zip(_COLUMNS, row, strict=True))
    visibility = Visibility(str(values["visibility"]))
    profile = values["profile"]
    return CandidateRow(
        id=str(values["id"]),
        status=CandidateStatus(str(values["status"])),
        onboarding=OnboardingStatus(str(values["onboarding"])),
        visibility=visibility,
        profile=(
            CareerProfile.from_state(json.loads(profile), visibility)
            if profile
            else None
        ),
        mentor_id=str(values["mentor_id"]) if values["mentor_id"] else None,
        badges=tuple(
            BadgeRow(BadgeKind(str(kind)), str(at))
            for kind, at in badges
            if kind in _BADGE_KINDS  # a kind this version knows
        ),
        engagement=Engagement(
            member_since=str(values["registered_at"]),
            assessments_taken=int(values["assessments_taken"]),
            profile_updates=int(values["profile_updates"]),
            days_active=int(values["days_active"]),
            last_active_at=(
                str(values["last_active_at"]) if values["last_active_at"] else None
            ),
        ),
    )


def _assessment(row: Row) -> AssessmentRow:
    number, completed_at, state = row
    return AssessmentRow(
        number=int(number),
        completed_at=str(completed_at),
        assessment=NeedsAssessment.from_state(json.loads(state)),
    )


class CandidateReader:
    """Typed reads of the candidates view's live version."""

    def __init__(self, views: RelationalStore) -> None:
        self._views = views

    def get(self, candidate_id: str) -> CandidateRow | None:
        with self._views.transaction() as session:
            names = live_names(session, CANDIDATES_PROJECTION)
            row = session.fetchone(
                f"SELECT {', '.join(_COLUMNS)} FROM {names.table(CANDIDATES)} "
                "WHERE id = %s",
                (candidate_id,),
            )
            if row is None:
                return None
            badges = session.fetchall(
                f"SELECT badge, earned_at FROM {names.table(BADGES)} "
                "WHERE candidate_id = %s ORDER BY earned_at, badge",
                (candidate_id,),
            )
        return _candidate(row, badges)

    def assessments(
        self, candidate_id: str, *, before: int | None = None, limit: int
    ) -> list[AssessmentRow]:
        """Newest first: up to ``limit`` assessments numbered below ``before``."""
        with self._views.transaction() as session:
            names = live_names(session, CANDIDATES_PROJECTION)
            rows = session.fetchall(
                f"SELECT number, completed_at, assessment FROM "
                f"{names.table(ASSESSMENTS)} WHERE candidate_id = %s "
                "AND number < %s ORDER BY number DESC LIMIT %s",
                (candidate_id, before if before is not None else 2**31 - 1, limit),
            )
        return [_assessment(row) for row in rows]

    def latest_assessment(self, candidate_id: str) -> AssessmentRow | None:
        """The assessment that drives mentor assignment and recommendations."""
        found = self.assessments(candidate_id, limit=1)
        return found[0] if found else None
