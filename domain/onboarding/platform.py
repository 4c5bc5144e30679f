"""Platform-wide onboarding settings an admin changes: categories, caps.

Both are singletons with fixed ids. Until an admin first changes one, it does not
exist in the store and its defaults apply.
"""

from __future__ import annotations

from collections.abc import Collection
from uuid import NAMESPACE_URL, uuid5

from eventsourcing.domain import event

from domain.base import InvalidFieldError, NotAllowedError, SpotlightAggregate
from domain.onboarding import values as v
from domain.onboarding.offering import DEFAULT_CATEGORIES

ONBOARDING_NAMESPACE = uuid5(NAMESPACE_URL, "https://spotlight.example/onboarding")

DEFAULT_LEADER_NPO_CAP = 10
DEFAULT_COMMUNITIES_PER_LEADER = 3
MAX_CAP = 10_000


def _require_admin(roles: Collection[str]) -> None:
    if v.ROLE_ADMIN not in roles:
        raise NotAllowedError("Only an admin changes platform settings.")


class Catalogue(SpotlightAggregate):
    """The offering categories: the ten of #2, and those admins add."""

    ID = uuid5(ONBOARDING_NAMESPACE, "catalogue")

    class Started(SpotlightAggregate.Created):
        categories: dict[str, str]

    @event(Started)
    def __init__(self, *, categories: dict[str, str]) -> None:
        self.categories = dict(categories)

    @classmethod
    def start(cls) -> Catalogue:
        catalogue: Catalogue = cls._create(
            cls.Started, id=cls.ID, categories=dict(DEFAULT_CATEGORIES)
        )
        return catalogue

    class CategoryAdded(SpotlightAggregate.Event):
        slug: str
        label: str

    def add_category(self, actor_roles: Collection[str], slug: str, label: str) -> None:
        _require_admin(actor_roles)
        key = v.slug(slug, "slug")
        text = v.required_text(label, "label", max_length=100)
        if self.categories.get(key) != text:
            self._add_category(slug=key, label=text)

    @event(CategoryAdded)
    def _add_category(self, slug: str, label: str) -> None:
        self.categories[slug] = label


class OnboardingPolicy(SpotlightAggregate):
    """The platform's default caps (a leader's own cap overrides the first)."""

    ID = uuid5(ONBOARDING_NAMESPACE, "policy")

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
        _require_admin(actor_roles)
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
