"""A community of leaders and NPOs (CL4, A2).

A ``Community`` has a name, a description and expertise tags; NPOs are placed in the
communities whose tags meet theirs (``CommunityDirectory``). The default community
receives NPOs whose services match no community's tags, until an admin places them
(A2); it is founded by the platform on first need and matches nothing.

Lifecycle: founded by a community leader or an admin; changed by an admin or its
founder. Its leaders and queue are its ``LeaderRoster``.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from uuid import uuid5

from eventsourcing.domain import event

from domain.base import InvalidFieldError, NotAllowedError, SpotlightAggregate
from domain.onboarding import values as v

DEFAULT_COMMUNITY_ID = uuid5(v.ONBOARDING_NAMESPACE, "default-community")
DEFAULT_COMMUNITY_NAME = "Unplaced organisations"
DEFAULT_COMMUNITY_DESCRIPTION = (
    "NPOs whose services match no community yet, until an admin places them."
)


def _validated(name: object, description: object, tags: object) -> dict[str, Any]:
    return {
        "name": v.required_text(name, "name", max_length=120),
        "description": v.text(
            description, "description", max_length=5000, required=False, multiline=True
        ),
        "tags": v.tags(v.sequence(tags, "tags", max_items=30), "tags"),
    }


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
        name: object,
        description: object,
        tags: object,
    ) -> Community:
        """A community leader or an admin creates a community (CL4, A2)."""
        if not {v.ROLE_COMMUNITY_LEADER, v.ROLE_ADMIN} & set(actor_roles):
            raise NotAllowedError(
                "Only community leaders and admins create communities."
            )
        fields = _validated(name, description, tags)
        if not fields["tags"]:
            raise InvalidFieldError("tags", "name at least one area of expertise")
        community: Community = cls._create(
            cls.Founded, **fields, is_default=False, founded_by=actor_id
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
        name: object,
        description: object,
        tags: object,
    ) -> None:
        if v.ROLE_ADMIN not in actor_roles and actor_id != self.founded_by:
            raise NotAllowedError("Only an admin or its founder changes a community.")
        fields = _validated(name, description, tags)
        if self.is_default and fields["tags"]:
            raise InvalidFieldError("tags", "the default community matches nothing")
        if (fields["name"], fields["description"], fields["tags"]) != (
            self.name,
            self.description,
            self.tags,
        ):
            self._update(**fields)

    @event(Updated)
    def _update(self, name: str, description: str | None, tags: list[str]) -> None:
        self.name = name
        self.description = description
        self.tags = tags
