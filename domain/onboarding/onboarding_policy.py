"""The platform's default caps an admin changes: NPOs per leader, communities per
leader (CL5).

A singleton with a fixed id. Until an admin first changes it, it does not exist in
the store and the defaults apply; a leader's own cap (``Leader.set_cap``) overrides
the first.

Lifecycle: started with the defaults on the first change; an admin changes both
caps together (the same values again change nothing).
"""

from __future__ import annotations

from collections.abc import Collection
from uuid import uuid5

from eventsourcing.domain import event

from domain.base import InvalidFieldError, NotAllowedError, SpotlightAggregate
from domain.onboarding import values as v

DEFAULT_LEADER_NPO_CAP = 10
DEFAULT_COMMUNITIES_PER_LEADER = 3
MAX_CAP = 10_000


class OnboardingPolicy(SpotlightAggregate):
    """The platform's default caps (a leader's own cap overrides the first)."""

    ID = uuid5(v.ONBOARDING_NAMESPACE, "policy")

    class Started(SpotlightAggregate.Created):
        leader_npo_cap: int
        communities_per_leader: int

    @event(Started)
    def __init__(self, *, leader_npo_cap: int, communities_per_leader: int) -> None:
        self.leader_npo_cap = leader_npo_cap
        self.communities_per_leader = communities_per_leader

    @classmethod
    def start(cls) -> OnboardingPolicy:
        policy: OnboardingPolicy = cls._create(
            cls.Started,
            id=cls.ID,
            leader_npo_cap=DEFAULT_LEADER_NPO_CAP,
            communities_per_leader=DEFAULT_COMMUNITIES_PER_LEADER,
        )
        return policy

    class Changed(SpotlightAggregate.Event):
        leader_npo_cap: int
        communities_per_leader: int

    def change(
        self,
        actor_roles: Collection[str],
        leader_npo_cap: int,
        communities_per_leader: int,
    ) -> None:
        if v.ROLE_ADMIN not in actor_roles:
            raise NotAllowedError("Only an admin changes platform settings.")
        for name, value in (
            ("leader_npo_cap", leader_npo_cap),
            ("communities_per_leader", communities_per_leader),
        ):
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidFieldError(name, "must be a whole number")
            if not 1 <= value <= MAX_CAP:
                raise InvalidFieldError(name, f"must be between 1 and {MAX_CAP}")
        if (leader_npo_cap, communities_per_leader) != (
            self.leader_npo_cap,
            self.communities_per_leader,
        ):
            self._change(
                leader_npo_cap=leader_npo_cap,
                communities_per_leader=communities_per_leader,
            )

    @event(Changed)
    def _change(self, leader_npo_cap: int, communities_per_leader: int) -> None:
        self.leader_npo_cap = leader_npo_cap
        self.communities_per_leader = communities_per_leader
