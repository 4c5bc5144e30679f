"""A community of leaders and NPOs (CL4, A2).

A ``Community`` has a name, a description and expertise tags; NPOs are placed in the
communities whose tags meet theirs (``CommunityDirectory``). The default community
receives NPOs whose services match no community's tags, until an admin places them
(A2); it is founded by the platform on first need and matches nothing.

Lifecycle: founded by a community leader or an admin; changed by an admin or its
founder. Its leaders and queue are its ``LeaderRoster``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from uuid import uuid5

from eventsourcing.domain import event

from domain.base import InvalidFieldError, NotAllowedError, SpotlightAggregate
from domain.onboarding import values as v
from domain.onboarding.values import CommunityProfile

DEFAULT_COMMUNITY_ID = uuid5(v.ONBOARDING_NAMESPACE, "default-community")
DEFAULT_COMMUNITY_NAME = "Unplaced organisations"
DEFAULT_COMMUNITY_DESCRIPTION = (
    "NPOs whose services match no community yet, until an admin places them."
)


class Community(SpotlightAggregate):
    class Founded(SpotlightAggregate.Created):
        name: str
        description: str | None
        tags: list[str]
        is_default: bool
        founded_by: str

    @event(Founded)
    def __init__(
        self,
        *,
        name: str,
        description: str | None,
        tags: list[str],
        is_default: bool,
        founded_by: str,
    ) -> None:
        self.name = name
        self.description = description
        self.tags = tags
        self.is_default = is_default
        self.founded_by = founded_by

    @classmethod
    def found(
        cls,
        actor_id: str,
        actor_roles: Collection[str],
        name: str,
        description: str | None,
        tags: Sequence[str],
    ) -> Community:
        """A community leader or an admin creates a community (CL4, A2)."""
        if not {v.ROLE_COMMUNITY_LEADER, v.ROLE_ADMIN} & set(actor_roles):
            raise NotAllowedError(
                "Only community leaders and admins create communities."
            )
        profile = CommunityProfile.of(name, description, tags)
        if not profile.tags:
            raise InvalidFieldError("tags", "name at least one area of expertise")
        community: Community = cls._create(
            cls.Founded,
            name=profile.name,
            description=profile.description,
            tags=list(profile.tags),
            is_default=False,
            founded_by=actor_id,
        )
        return community

    @classmethod
    def found_default(cls) -> Community:
        community: Community = cls._create(
            cls.Founded,
            id=DEFAULT_COMMUNITY_ID,
            name=DEFAULT_COMMUNITY_NAME,
            description=DEFAULT_COMMUNITY_DESCRIPTION,
            tags=[],
            is_default=True,
            founded_by="system",
        )
        return community

    class Updated(SpotlightAggregate.Event):
        name: str
        description: str | None
        tags: list[str]

    def update(
        self,
        actor_id: str,
        actor_roles: Collection[str],
        name: str,
        description: str | None,
        tags: Sequence[str],
    ) -> None:
        if v.ROLE_ADMIN not in actor_roles and actor_id != self.founded_by:
            raise NotAllowedError("Only an admin or its founder changes a community.")
        profile = CommunityProfile.of(name, description, tags)
        if self.is_default and profile.tags:
            raise InvalidFieldError("tags", "the default community matches nothing")
        if profile != CommunityProfile(self.name, self.description, tuple(self.tags)):
            self._update(
                name=profile.name,
                description=profile.description,
                tags=list(profile.tags),
            )

    @event(Updated)
    def _update(self, name: str, description: str | None, tags: list[str]) -> None:
        self.name = name
        self.description = description
        self.tags = tags
