"""A community leader as the assignment sees them (CL5, and the seed's cap).

One ``Leader`` per user who leads: their communities (capped, CL5), their own NPO cap
if an admin set one (else the platform default, ``OnboardingPolicy``), and the NPOs
assigned to them in any community. ``Leader.take`` refuses an NPO beyond the cap, and
every assignment to a leader changes this aggregate, so the cap holds across
communities and processes (a concurrent second assignment is a stale write).

Lifecycle: enrolled when an admin first makes the user lead a community; joins and
leaves communities; takes and releases NPOs; an admin may set or clear their cap.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain.base import ConflictError, InvalidFieldError, SpotlightAggregate
from domain.onboarding import values as v
from domain.onboarding.errors import CapReachedError
from domain.onboarding.onboarding_policy import MAX_CAP


class Leader(SpotlightAggregate):
    """A community leader's communities, cap and assigned NPOs."""

    @staticmethod
    def id_for(user_id: str) -> UUID:
        return uuid5(v.ONBOARDING_NAMESPACE, f"leader:{user_id}")

    class Enrolled(SpotlightAggregate.Created):
        user_id: str

    @event(Enrolled)
    def __init__(self, *, user_id: str) -> None:
        self.user_id = user_id
        self.npo_cap: int | None = None
        self.communities: list[str] = []
        # npo id -> community id, in assignment order.
        self.npos: dict[str, str] = {}

    @classmethod
    def enrol(cls, user_id: str, user_roles: Iterable[str]) -> Leader:
        require_leader_role(user_roles)
        leader: Leader = cls._create(
            cls.Enrolled, id=cls.id_for(user_id), user_id=user_id
        )
        return leader

    def effective_cap(self, default_cap: int) -> int:
        return self.npo_cap if self.npo_cap is not None else default_cap

    def spare(self, default_cap: int) -> int:
        return max(0, self.effective_cap(default_cap) - len(self.npos))

    # -- Communities ----------------------------------------------------------------

    class JoinedCommunity(SpotlightAggregate.Event):
        community_id: str

    class LeftCommunity(SpotlightAggregate.Event):
        community_id: str

    def join(self, community_id: str, communities_cap: int) -> None:
        if community_id in self.communities:
            return
        if len(self.communities) >= communities_cap:
            raise CapReachedError(
                f"A leader leads at most {communities_cap} communities."
            )
        self._join(community_id=community_id)

    @event(JoinedCommunity)
    def _join(self, community_id: str) -> None:
        self.communities.append(community_id)

    def leave(self, community_id: str) -> None:
        if community_id not in self.communities:
            return
        if any(c == community_id for c in self.npos.values()):
            raise ConflictError("Release the community's NPOs first.")
        self._leave(community_id=community_id)

    @event(LeftCommunity)
    def _leave(self, community_id: str) -> None:
        self.communities.remove(community_id)

    # -- The cap --------------------------------------------------------------------

    class CapSet(SpotlightAggregate.Event):
        npo_cap: int | None

    def set_cap(self, npo_cap: int | None) -> None:
        """An admin sets this leader's cap; None returns to the platform default."""
        if npo_cap is not None and (
            isinstance(npo_cap, bool)
            or not isinstance(npo_cap, int)
            or not 0 <= npo_cap <= MAX_CAP
        ):
            raise InvalidFieldError("npo_cap", f"must be between 0 and {MAX_CAP}")
        if npo_cap != self.npo_cap:
            self._set_cap(npo_cap=npo_cap)

    @event(CapSet)
    def _set_cap(self, npo_cap: int | None) -> None:
        self.npo_cap = npo_cap

    # -- NPOs -----------------------------------------------------------------------

    class NpoTaken(SpotlightAggregate.Event):
        npo_id: str
        community_id: str

    class NpoReleased(SpotlightAggregate.Event):
        npo_id: str

    def take(self, npo_id: str, community_id: str, default_cap: int) -> None:
        """The invariant: never more NPOs than the cap."""
        if npo_id in self.npos:
            return
        if community_id not in self.communities:
            raise ConflictError("The leader does not lead that community.")
        if len(self.npos) >= self.effective_cap(default_cap):
            raise CapReachedError("The leader has reached their cap.")
        self._take(npo_id=npo_id, community_id=community_id)

    @event(NpoTaken)
    def _take(self, npo_id: str, community_id: str) -> None:
        self.npos[npo_id] = community_id

    def release(self, npo_id: str) -> None:
        if npo_id in self.npos:
            self._release(npo_id=npo_id)

    @event(NpoReleased)
    def _release(self, npo_id: str) -> None:
        del self.npos[npo_id]


def require_leader_role(user_roles: Iterable[str]) -> None:
    """Only a user holding the COMMUNITY_LEADER role leads a community."""
    if v.ROLE_COMMUNITY_LEADER not in set(user_roles):
        raise InvalidFieldError(
            "user_id", "the user does not hold the COMMUNITY_LEADER role"
        )
