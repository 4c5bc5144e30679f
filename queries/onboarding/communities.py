"""Reads of communities, their leaders and the platform's settings."""

from __future__ import annotations

from domain.base import NotFoundError
from ports.relational import RelationalStore
from projections.onboarding.communities import (
    CommunityReader,
    CommunityRow,
    LeaderRow,
)
from projections.onboarding.platform import PlatformReader, PolicyRow


def list_communities(views: RelationalStore) -> list[CommunityRow]:
    """Every community, in founding order, with its leaders and queue."""
    return CommunityReader(views).communities()


def leader_queue_length(views: RelationalStore) -> int:
    """How many NPOs wait for a community leader, in every community."""
    return CommunityReader(views).waiting_count()


def get_community(views: RelationalStore, community_id: str) -> CommunityRow:
    found = CommunityReader(views).community(community_id)
    if found is None:
        raise NotFoundError("No such community.")
    return found


def list_leaders(views: RelationalStore) -> list[LeaderRow]:
    """Every leader with their cap, their active NPOs and their communities."""
    return CommunityReader(views).leaders()


def get_policy(views: RelationalStore) -> PolicyRow:
    """The platform's default caps."""
    return PlatformReader(views).policy()


def list_categories(views: RelationalStore) -> dict[str, str]:
    """The offering categories: label by slug, in slug order."""
    return PlatformReader(views).categories()
