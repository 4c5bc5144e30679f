"""Every community's name and tags, to place NPOs by them (A2).

One ``CommunityDirectory`` per platform lists every community with its tags, so
placing an NPO reads one aggregate and is decided from events alone; it also keeps
community names unique (compared case-insensitively).

Lifecycle: started on first need (with the default community listed in it); a
community is listed when founded and relisted when its name or tags change.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain.base import ConflictError, SpotlightAggregate
from domain.onboarding import values as v
from domain.onboarding.community import Community
from domain.onboarding.values import Placement


class CommunityDirectory(SpotlightAggregate):
    """Every community's name and tags, in founding order (one per platform)."""

    ID = uuid5(v.ONBOARDING_NAMESPACE, "community-directory")

    class Started(SpotlightAggregate.Created):
        pass

    @event(Started)
    def __init__(self) -> None:
        # community id -> {"name", "tags", "is_default"}; dicts keep founding order.
        # Plain JSON values: the directory is snapshotted.
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

    def placement(self, npo_tags: Iterable[str]) -> Placement:
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
            return Placement((default,) if default else ())
        matched = sorted(set().union(*(s[3] for s in scored)))
        return Placement(tuple(s[2] for s in scored), tuple(matched))
