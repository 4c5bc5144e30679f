"""A career mentor as the assignment sees them (CM2): expertise, cap and mentees.

One ``Mentor`` per CAREER_MENTOR user who keeps a mentor profile: the categories of
need (#2) they can help with and free expertise tags, the languages they mentor in,
their own cap on active mentees if an admin set one (else the platform default,
``CareersPolicy``), and the candidates assigned to them. ``Mentor.take`` refuses a
mentee beyond the cap, and every assignment changes this aggregate, so the cap holds
across processes (a concurrent second assignment is a stale write). It is the seat
of the shared assignment machinery (``domain.assignment``).

Lifecycle: enrolled with the first profile the user saves (they join the mentor
pool); the profile changes; mentees are taken and released; an admin may set or
clear the cap; retired when the user leaves, loses the role, is disabled or erased
(their mentees are reassigned or queued first); saving the profile again, holding
the role, brings a retired mentor back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain.base import ConflictError, InvalidFieldError, SpotlightAggregate
from domain.careers.assessment import language_tags
from domain.careers.values import CAREERS_NAMESPACE, ROLE_CAREER_MENTOR
from domain.tagging import CATEGORIES_OF_NEED, tags

MAX_MENTEE_CAP = 1_000


class MenteeCapReachedError(ConflictError):
    """A mentor would hold more mentees than their cap."""


@dataclass(frozen=True)
class MentorProfile:
    """What a mentor can help with: categories of #2, tags, languages."""

    categories: tuple[str, ...]
    expertise_tags: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        *,
        categories: object,
        expertise_tags: object = (),
        languages: object = (),
    ) -> MentorProfile:
        """Check and normalise; ``InvalidFieldError`` names the field."""
        if isinstance(categories, str | bytes) or not isinstance(categories, Sequence):
            raise InvalidFieldError("categories", "must be a list")
        if not categories:
            raise InvalidFieldError("categories", "must name at least one category")
        chosen: list[str] = []
        for i, slug in enumerate(categories):
            if not isinstance(slug, str) or slug not in CATEGORIES_OF_NEED:
                raise InvalidFieldError(f"categories[{i}]", "is not a category of need")
            if slug not in chosen:
                chosen.append(slug)
        if isinstance(expertise_tags, str | bytes) or not isinstance(
            expertise_tags, Sequence
        ):
            raise InvalidFieldError("expertise_tags", "must be a list")
        return cls(
            categories=tuple(chosen),
            expertise_tags=tuple(tags(expertise_tags, "expertise_tags")),
            languages=language_tags(languages, "languages"),
        )

    def covers(self, needs: Iterable[str]) -> bool:
        """Every one of these categories is in the mentor's expertise."""
        return set(needs) <= set(self.categories)

    def covers_any(self, needs: Iterable[str]) -> bool:
        return bool(set(needs) & set(self.categories))

    def to_state(self) -> dict[str, Any]:
        return {
            "categories": list(self.categories),
            "expertise_tags": list(self.expertise_tags),
            "languages": list(self.languages),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> MentorProfile:
        return cls(
            categories=tuple(state["categories"]),
            expertise_tags=tuple(state.get("expertise_tags", ())),
            languages=tuple(state.get("languages", ())),
        )


class Mentor(SpotlightAggregate):
    """A career mentor's expertise, cap and active mentees."""

    @staticmethod
    def id_for(user_id: UUID | str) -> UUID:
        return uuid5(CAREERS_NAMESPACE, f"mentor:{user_id}")

    class Enrolled(SpotlightAggregate.Created):
        user_id: str
        profile: dict[str, Any]

    @event(Enrolled)
    def __init__(self, *, user_id: str, profile: dict[str, Any]) -> None:
        self.user_id = user_id
        # As ``MentorProfile.to_state()``: a snapshot holds JSON values only.
        self.profile_state = profile
        self.mentee_cap: int | None = None
        # candidate id -> the reason they were assigned, in assignment order.
        self.mentees: dict[str, str] = {}
        self.active = True
        # When a retired mentor came back (ISO), if they did.
        self.rejoined_at: str | None = None

    @classmethod
    def enrol(
        cls, user_id: str, user_roles: Iterable[str], profile: MentorProfile
    ) -> Mentor:
        require_mentor_role(user_roles)
        mentor: Mentor = cls._create(
            cls.Enrolled,
            id=cls.id_for(user_id),
            user_id=user_id,
            profile=profile.to_state(),
        )
        return mentor

    def effective_cap(self, default_cap: int) -> int:
        return self.mentee_cap if self.mentee_cap is not None else default_cap

    def spare(self, default_cap: int) -> int:
        """Room for more mentees (none while retired)."""
        if not self.active:
            return 0
        return max(0, self.effective_cap(default_cap) - len(self.mentees))

    # -- The profile ----------------------------------------------------------------

    class ProfileUpdated(SpotlightAggregate.Event):
        profile: dict[str, Any]

    class Rejoined(SpotlightAggregate.Event):
        def apply(self, aggregate: Any) -> None:
            # Applied explicitly (not through ``@event``) to know its own time.
            aggregate.active = True
            aggregate.rejoined_at = self.timestamp.isoformat()

    def update_profile(self, user_roles: Iterable[str], profile: MentorProfile) -> None:
        """The mentor changes their profile; a retired mentor holding the role is
        back in the pool."""
        require_mentor_role(user_roles)
        if profile != self.profile:
            self._update_profile(profile=profile.to_state())
        if not self.active:
            self._rejoin()

    @event(ProfileUpdated)
    def _update_profile(self, profile: dict[str, Any]) -> None:
        self.profile_state = profile

    @property
    def profile(self) -> MentorProfile:
        return MentorProfile.from_state(self.profile_state)

    def _rejoin(self) -> None:
        self.trigger_event(self.Rejoined)

    def active_since(self) -> datetime:
        """When the mentor last joined the pool: enrolled, or back from retirement."""
        if self.rejoined_at is not None:
            return datetime.fromisoformat(self.rejoined_at)
        return self.created_on

    # -- The cap --------------------------------------------------------------------

    class CapSet(SpotlightAggregate.Event):
        mentee_cap: int | None

    def set_cap(self, mentee_cap: int | None) -> None:
        """An admin sets this mentor's cap; None returns to the platform default."""
        if mentee_cap is not None and (
            isinstance(mentee_cap, bool)
            or not isinstance(mentee_cap, int)
            or not 0 <= mentee_cap <= MAX_MENTEE_CAP
        ):
            raise InvalidFieldError(
                "mentee_cap", f"must be between 0 and {MAX_MENTEE_CAP}"
            )
        if mentee_cap != self.mentee_cap:
            self._set_cap(mentee_cap=mentee_cap)

    @event(CapSet)
    def _set_cap(self, mentee_cap: int | None) -> None:
        self.mentee_cap = mentee_cap

    # -- Mentees --------------------------------------------------------------------

    class MenteeTaken(SpotlightAggregate.Event):
        candidate_id: str
        reason: str

    class MenteeReleased(SpotlightAggregate.Event):
        candidate_id: str
        reason: str

    def take(self, candidate_id: str, default_cap: int, reason: str) -> None:
        """The invariant: never more mentees than the cap, none while retired."""
        if candidate_id in self.mentees:
            return
        if not self.active:
            raise ConflictError("The mentor no longer mentors.")
        if len(self.mentees) >= self.effective_cap(default_cap):
            raise MenteeCapReachedError("The mentor has reached their cap.")
        self._take(candidate_id=candidate_id, reason=reason)

    @event(MenteeTaken)
    def _take(self, candidate_id: str, reason: str) -> None:
        self.mentees[candidate_id] = reason

    def release(self, candidate_id: str, reason: str) -> None:
        if candidate_id in self.mentees:
            self._release(candidate_id=candidate_id, reason=reason)

    @event(MenteeReleased)
    def _release(self, candidate_id: str, reason: str) -> None:
        del self.mentees[candidate_id]

    # -- Leaving ----------------------------------------------------------------------

    class Retired(SpotlightAggregate.Event):
        reason: str

    def retire(self, reason: str) -> None:
        """No more mentees: release them first (``commands.careers.mentoring``)."""
        if not self.active:
            return
        if self.mentees:
            raise ConflictError("Release the mentor's mentees first.")
        self._retire(reason=reason)

    @event(Retired)
    def _retire(self, reason: str) -> None:
        self.active = False


def require_mentor_role(user_roles: Iterable[str]) -> None:
    """Only a user holding the CAREER_MENTOR role mentors."""
    if ROLE_CAREER_MENTOR not in set(user_roles):
        raise InvalidFieldError(
            "user_id", "the user does not hold the CAREER_MENTOR role"
        )
