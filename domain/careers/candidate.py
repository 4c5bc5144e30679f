"""A candidate's career record (C1, C2): status, assessments and mentor.

One ``Candidate`` per CANDIDATE user, with the user's id as its own (so the person's
data key covers it: ``domain.careers.values``). It holds the candidate's status, the
needs assessments they completed (every version kept, the latest one drives mentor
assignment and recommendations), their mentor or their place in the mentors' queue.

Lifecycle: registered on the candidate's first career action → ``REGISTERED``; the
first completed assessment makes onboarding ``COMPLETE`` and the status
``ASSESSED``; a mentor assigned → ``MENTORED``, or nobody with capacity →
``WAITING_FOR_MENTOR`` until one is; a mentor leaving or losing the role unassigns
(``ASSESSED`` again, until reassigned or queued). Erased with the person: personal
fields read as erased and nothing changes any more.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import event

from domain.base import (
    GoneError,
    InvalidFieldError,
    NotFoundError,
    SpotlightAggregate,
)
from domain.careers.assessment import NeedsAssessment
from domain.careers.values import (
    ROLE_CANDIDATE,
    CandidateStatus,
    OnboardingStatus,
)
from domain.personal_data import CarriesPersonalData
from domain.text import SHORT_TEXT


class Candidate(SpotlightAggregate):
    """A candidate's status, needs assessments and mentor."""

    class Registered(SpotlightAggregate.Created):
        user_id: str

    @event(Registered)
    def __init__(self, *, user_id: str) -> None:
        self.user_id = user_id
        self.status = CandidateStatus.REGISTERED
        self.onboarding = OnboardingStatus.PENDING
        # Every completed assessment, oldest first, as ``to_state()``.
        self.assessments: list[dict[str, Any]] = []
        self.assessed_at: str | None = None
        self.mentor_id: str | None = None
        self.waiting_since: str | None = None
        self.erased = False

    @classmethod
    def register(cls, user_id: UUID | str, user_roles: Iterable[str]) -> Candidate:
        """Only a user holding the CANDIDATE role has a career record."""
        if ROLE_CANDIDATE not in set(user_roles):
            raise InvalidFieldError(
                "user_id", "the user does not hold the CANDIDATE role"
            )
        candidate: Candidate = cls._create(
            cls.Registered, id=UUID(str(user_id)), user_id=str(user_id)
        )
        return candidate

    # -- The needs assessment (C2) --------------------------------------------------

    class AssessmentCompleted(CarriesPersonalData, SpotlightAggregate.Event):
        personal_fields: ClassVar[frozenset[str]] = frozenset({"assessment"})
        assessment: dict[str, Any]
        number: int

    def complete_assessment(self, assessment: NeedsAssessment) -> None:
        """Record a completed assessment; earlier ones stay in the history."""
        self._require_not_erased()
        self._complete_assessment(
            assessment=assessment.to_state(), number=len(self.assessments) + 1
        )

    @event(AssessmentCompleted)
    def _complete_assessment(self, assessment: dict[str, Any], number: int) -> None:
        self.assessments.append(assessment)
        self.onboarding = OnboardingStatus.COMPLETE
        if self.status == CandidateStatus.REGISTERED:
            self.status = CandidateStatus.ASSESSED

    @property
    def latest_assessment(self) -> NeedsAssessment | None:
        if not self.assessments:
            return None
        return NeedsAssessment.from_state(self.assessments[-1])

    # -- Guards ----------------------------------------------------------------------

    def _require_not_erased(self) -> None:
        if self.erased:
            raise GoneError("This candidate was erased.")

    # -- Suggestions from the mentor (CM4) --------------------------------------------
    # A mentor suggests an offering to their mentee; it shows first in the mentee's
    # recommendations, marked as the mentor's.

    class OfferingSuggested(CarriesPersonalData, SpotlightAggregate.Event):
        """The note is about the candidate: sealed with their key."""

        personal_fields: ClassVar[frozenset[str]] = frozenset({"note"})
        offering_id: str
        mentor_id: str
        note: str | None

    def suggest_offering(
        self, *, mentor_id: str, offering_id: str, note: str | None, visible: bool
    ) -> None:
        """Only the candidate's assigned mentor suggests (to anyone else the
        candidate is not there), an offering candidates may see (``visible``: the
        search view knows); suggesting one again renews the note."""
        self._require_not_erased()
        if self.mentor_id is None or self.mentor_id != mentor_id:
            raise NotFoundError("No such mentee.")
        if not visible:
            raise InvalidFieldError("offering_id", "is not a visible offering")
        self._suggest_offering(
            offering_id=offering_id,
            mentor_id=mentor_id,
            note=SHORT_TEXT.optional(note, "note"),
        )

    @event(OfferingSuggested)
    def _suggest_offering(
        self, offering_id: str, mentor_id: str, note: str | None
    ) -> None:
        # Offering id -> the mentor who suggested it (the note lives in the view).
        self.suggestions = {**getattr(self, "suggestions", {}), offering_id: mentor_id}
