"""A candidate's career record (C1, C2): profile, assessments, badges, status, mentor.

One ``Candidate`` per CANDIDATE user, with the user's id as its own (so the person's
data key covers it: ``domain.careers.values``). It holds the candidate's career
profile (``domain.careers.profile``), the needs assessments they completed (every
version kept, the latest one drives mentor assignment and recommendations), the
badges they earned (``domain.careers.badges``), their status, and their mentor or
their place in the mentors' queue.

Lifecycle: registered on the candidate's first career action → ``REGISTERED``; the
first completed assessment makes onboarding ``COMPLETE`` and the status
``ASSESSED``; a mentor assigned → ``MENTORED``, or nobody with capacity →
``WAITING_FOR_MENTOR`` until one is; a mentor leaving or losing the role unassigns
(``ASSESSED`` again, until reassigned or queued). Erased with the person: personal
fields read as erased and nothing changes any more (``erase``: the identity
context's erasure of the person erases the career record with it).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import event

from domain.base import (
    ConflictError,
    GoneError,
    InvalidFieldError,
    NotFoundError,
    SpotlightAggregate,
)
from domain.careers.assessment import NeedsAssessment
from domain.careers.badges import BadgeKind
from domain.careers.profile import CareerProfile
from domain.careers.values import (
    ROLE_CANDIDATE,
    CandidateStatus,
    OnboardingStatus,
    Visibility,
)
from domain.personal_data import CarriesPersonalData, is_erased
from domain.text import SHORT_TEXT

# Reasons a mentor is unassigned because of the mentor (they left, lost the role,
# were disabled or erased) start with this: the candidate keeps their place in the
# queue (when they first asked). Any other reason (finished, the candidate left)
# ends the request.
MENTOR_SIDE = "mentor_"


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
        self.mentor_asked_at: str | None = None
        self.erased = False
        # The career profile as ``CareerProfile.to_state()`` (None until given;
        # ``ERASED`` once the person's key is gone), and who may see it.
        self.profile_state: dict[str, Any] | str | None = None
        self.visibility = Visibility.PRIVATE
        # The badge kinds earned, in the order earned (the view knows when).
        self.badges: list[str] = []

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

    # -- The career profile (C1) -----------------------------------------------------

    class ProfileUpdated(CarriesPersonalData, SpotlightAggregate.Event):
        personal_fields: ClassVar[frozenset[str]] = frozenset({"profile"})
        profile: dict[str, Any]
        visibility: str

    def update_profile(self, profile: CareerProfile) -> None:
        """Replace the profile; an unchanged one records nothing."""
        self._require_not_erased()
        if profile == self.profile:
            return
        self._update_profile(
            profile=profile.to_state(), visibility=profile.visibility.value
        )

    @event(ProfileUpdated)
    def _update_profile(self, profile: dict[str, Any], visibility: str) -> None:
        self.profile_state = profile
        self.visibility = Visibility(visibility)

    @property
    def profile(self) -> CareerProfile | None:
        state = self.profile_state
        if state is None or isinstance(state, str) or is_erased(state):
            return None
        return CareerProfile.from_state(state, self.visibility)

    # -- The needs assessment (C2) --------------------------------------------------

    class AssessmentCompleted(CarriesPersonalData, SpotlightAggregate.Event):
        personal_fields: ClassVar[frozenset[str]] = frozenset({"assessment"})
        assessment: dict[str, Any]
        number: int

        def apply(self, aggregate: Any) -> None:
            # Applied explicitly (not through ``@event``) to know its own time:
            # when the candidate asked for a mentor, their place in the queue.
            aggregate.assessments.append(self.assessment)
            aggregate.assessed_at = self.timestamp.isoformat(timespec="microseconds")
            aggregate.onboarding = OnboardingStatus.COMPLETE
            if aggregate.status == CandidateStatus.REGISTERED:
                aggregate.status = CandidateStatus.ASSESSED

    def complete_assessment(self, assessment: NeedsAssessment) -> None:
        """Record a completed assessment; earlier ones stay in the history."""
        self._require_not_erased()
        self.trigger_event(
            self.AssessmentCompleted,
            assessment=assessment.to_state(),
            number=len(self.assessments) + 1,
        )
        self.earn_badge(BadgeKind.ASSESSMENT_COMPLETED)

    @property
    def latest_assessment(self) -> NeedsAssessment | None:
        latest = self.assessments[-1] if self.assessments else None
        if not isinstance(latest, dict):  # none yet, or read as erased
            return None
        return NeedsAssessment.from_state(latest)

    # -- Badges (C1, #5) -------------------------------------------------------------

    class BadgeEarned(SpotlightAggregate.Event):
        badge: str

    def earn_badge(self, kind: BadgeKind) -> None:
        """Award a badge, once. The hook for what earns one (``domain.careers.
        badges``): ``complete_assessment`` calls it, the roadmap will too."""
        self._require_not_erased()
        if kind.value not in self.badges:
            self._earn_badge(badge=kind.value)

    @event(BadgeEarned)
    def _earn_badge(self, badge: str) -> None:
        self.badges.append(badge)

    # -- Erasure (C1) ----------------------------------------------------------------

    class Erased(SpotlightAggregate.Event):
        pass

    def erase(self) -> None:
        """The person was erased: forget the profile and the assessments; nothing
        changes any more. Erasing again changes nothing."""
        if not self.erased:
            self._erase()

    @event(Erased)
    def _erase(self) -> None:
        self.erased = True
        self.profile_state = None
        self.assessments = []

    # -- Mentoring (CM2): assigned, waiting, unassigned -------------------------------
    # ``commands.careers.mentoring`` decides, with the mentor pool and the mentor
    # (``domain.careers.mentor_assignment``); these record the outcome. ``since`` is
    # when the candidate asked for a mentor (the completion of their assessment):
    # their place in the queue, kept when a mentor leaves.

    class MentorAssigned(SpotlightAggregate.Event):
        candidate_id: str
        mentor_id: str
        reason: str
        since: str

    class WaitingForMentor(SpotlightAggregate.Event):
        since: str

    class StoppedWaitingForMentor(SpotlightAggregate.Event):
        reason: str

    class MentorUnassigned(SpotlightAggregate.Event):
        candidate_id: str
        mentor_id: str
        reason: str

    @property
    def needs_mentor(self) -> bool:
        """Assessed, not erased, with neither a mentor nor a place in the queue."""
        return (
            not self.erased
            and bool(self.assessments)
            and self.mentor_id is None
            and self.waiting_since is None
        )

    def mentor_queue_time(self) -> str:
        """When they asked for a mentor: their place in the mentors' queue."""
        if self.waiting_since is not None:
            return self.waiting_since
        if self.mentor_asked_at is not None:
            return self.mentor_asked_at
        return self.assessed_at or self.modified_on.isoformat(timespec="microseconds")

    def assign_mentor(self, mentor_id: str, reason: str, since: str) -> None:
        self._require_not_erased()
        if self.mentor_id is not None:
            raise ConflictError("The candidate already has a mentor.")
        self._assign_mentor(
            candidate_id=str(self.id), mentor_id=mentor_id, reason=reason, since=since
        )

    @event(MentorAssigned)
    def _assign_mentor(
        self, candidate_id: str, mentor_id: str, reason: str, since: str
    ) -> None:
        self.mentor_id = mentor_id
        self.mentor_asked_at = since
        self.waiting_since = None
        self.status = CandidateStatus.MENTORED

    def start_waiting(self, since: str) -> None:
        self._require_not_erased()
        if self.mentor_id is not None:
            raise ConflictError("The candidate already has a mentor.")
        if self.waiting_since is None:
            self._start_waiting(since=since)

    @event(WaitingForMentor)
    def _start_waiting(self, since: str) -> None:
        self.waiting_since = since
        self.mentor_asked_at = since
        self.status = CandidateStatus.WAITING_FOR_MENTOR

    def stop_waiting(self, reason: str) -> None:
        if self.waiting_since is not None:
            self._stop_waiting(reason=reason)

    @event(StoppedWaitingForMentor)
    def _stop_waiting(self, reason: str) -> None:
        self.waiting_since = None
        self.mentor_asked_at = None
        self.status = CandidateStatus.ASSESSED

    def unassign_mentor(self, reason: str) -> None:
        if self.mentor_id is not None:
            self._unassign_mentor(
                candidate_id=str(self.id), mentor_id=self.mentor_id, reason=reason
            )

    @event(MentorUnassigned)
    def _unassign_mentor(self, candidate_id: str, mentor_id: str, reason: str) -> None:
        self.mentor_id = None
        self.status = CandidateStatus.ASSESSED
        if not reason.startswith(MENTOR_SIDE):
            # Finished or left: a later request for a mentor queues anew.
            self.mentor_asked_at = None

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
