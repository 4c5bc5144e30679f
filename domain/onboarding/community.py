"""Communities (CL4, A2) and the directory used to place NPOs in them.

A ``Community`` has a name, a description and expertise tags. The
``CommunityDirectory`` (one per platform) lists every community with its tags, so
placing an NPO reads one aggregate and is decided from events alone; it also keeps
names unique. The default community receives NPOs whose services match no
community's tags, until an admin places them (A2).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain.base import (
    ConflictError,
    InvalidFieldError,
    NotAllowedError,
    SpotlightAggregate,
)
from domain.onboarding import values as v
from domain.onboarding.platform import ONBOARDING_NAMESPACE

DEFAULT_COMMUNITY_ID = uuid5(ONBOARDING_NAMESPACE, "default-community")
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


class CommunityDirectory(SpotlightAggregate):
    """Every community's name and tags, in founding order (one per platform)."""

    ID = uuid5(ONBOARDING_NAMESPACE, "community-directory")

    class Started(SpotlightAggregate.Created):
        pass

    @event(Started)
    def __init__(self) -> None:
        # community id -> {"name", "tags", "is_default"}; dicts keep founding order.
        self.entries: dict[str, dict[str, Any]] = {}

    @classmethod
    def start(cls) -> CommunityDirectory:
        directory: CommunityDirectory = cls._create(cls.Started, id=cls.ID)
        return directory

    class Listed(SpotlightAggregate.Event):
        community_id: str
        name: str
        tags: list[str]
        is_default: bool

    def _require_unique_name(self, name: str, community_id: str) -> None:
        folded = name.casefold()
        for other_id, entry in self.entries.items():
            if other_id != community_id and entry["name"].casefold() == folded:
                raise ConflictError(f"A community named {name!r} exists.")

    def list_community(self, community: Community) -> None:
        key = str(community.id)
        if key in self.entries:
            return
        self._require_unique_name(community.name, key)
        self._list(
            community_id=key,
            name=community.name,
            tags=list(community.tags),
            is_default=community.is_default,
        )

    @event(Listed)
    def _list(
        self, community_id: str, name: str, tags: list[str], is_default: bool
    ) -> None:
        self.entries[community_id] = {
            "name": name,
            "tags": tags,
            "is_default": is_default,
        }

    class Relisted(SpotlightAggregate.Event):
        community_id: str
        name: str
        tags: list[str]

    def relist(self, community: Community) -> None:
        key = str(community.id)
        entry = self.entries.get(key)
        if entry is None:
            raise ConflictError("The community is not listed.")
        self._require_unique_name(community.name, key)
        if (entry["name"], entry["tags"]) != (community.name, community.tags):
            self._relist(
                community_id=key, name=community.name, tags=list(community.tags)
            )

    @event(Relisted)
    def _relist(self, community_id: str, name: str, tags: list[str]) -> None:
        self.entries[community_id].update(name=name, tags=tags)

    def has(self, community_id: UUID | str) -> bool:
        return str(community_id) in self.entries

    @property
    def default_community_id(self) -> str | None:
        for community_id, entry in self.entries.items():
            if entry["is_default"]:
                return community_id
        return None

    def placement(self, npo_tags: Iterable[str]) -> tuple[list[str], list[str]]:
        """Communities whose tags meet the NPO's, best match first; and the tags.

        The NPO's tags are its service areas and its offerings' categories and tags.
        Ties keep founding order. No match: the default community and no tags.
        """
        wanted = {v.normalise_tag(t) for t in npo_tags} - {""}
        scored: list[tuple[int, int, str, set[str]]] = []
        for order, (community_id, entry) in enumerate(self.entries.items()):
            if entry["is_default"]:
                continue
            common = wanted & set(entry["tags"])
            if common:
                scored.append((-len(common), order, community_id, common))
        scored.sort()
        if not scored:
            default = self.default_community_id
            return ([default] if default else []), []
        matched = sorted(set().union(*(s[3] for s in scored)))
        return [s[2] for s in scored], matched
