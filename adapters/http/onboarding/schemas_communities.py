"""Request and response bodies of the community, leader and policy routes."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from adapters.http.onboarding.schemas_npos import STRICT, Tag
from adapters.http.text import OptionalLongText, Title
from commands.base import JSON_INTEGER, JsonInt
from domain.onboarding.values import MAX_TAGS
from projections.onboarding.communities import CommunityRow, LeaderRow
from projections.onboarding.platform import PolicyRow
from queries.onboarding.viewer import Viewer


class CommunityIn(BaseModel):
    model_config = STRICT
    name: Title
    description: OptionalLongText | None = None
    tags: list[Tag] = Field(
        default_factory=list, max_length=MAX_TAGS, description="Areas of expertise."
    )


def _at_least_one_tag(schema: dict[str, Any]) -> None:
    schema["properties"]["tags"]["minItems"] = 1
    schema["required"] = sorted({*schema.get("required", []), "tags"})


class NewCommunityIn(CommunityIn):
    """A new community names at least one area of expertise (NPOs are placed by
    them); a community's later changes may leave them empty."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_at_least_one_tag)


class CommunityOut(BaseModel):
    id: str
    name: str
    description: str | None
    tags: list[str]
    is_default: bool
    founded_by: str
    leaders: list[str]
    waiting: list[str] | None = Field(
        description="NPOs waiting for a leader, first served first (admins only)."
    )

    @classmethod
    def of(cls, community: CommunityRow, viewer: Viewer) -> CommunityOut:
        return cls(
            id=community.id,
            name=community.name,
            description=community.description,
            tags=list(community.tags),
            is_default=community.is_default,
            founded_by=community.founded_by,
            leaders=list(community.leaders),
            waiting=list(community.waiting) if viewer.is_admin else None,
        )


class LeaderCapIn(BaseModel):
    model_config = STRICT
    npo_cap: Annotated[int, Field(ge=0, le=10_000), JSON_INTEGER] | None = Field(
        description="null: the platform default applies."
    )


class LeaderOut(BaseModel):
    leader_id: str
    npo_cap: int | None
    effective_cap: int
    active_npos: int
    communities: list[str]

    @classmethod
    def of(cls, leader: LeaderRow) -> LeaderOut:
        return cls(
            leader_id=leader.leader_id,
            npo_cap=leader.npo_cap,
            effective_cap=leader.effective_cap,
            active_npos=leader.active_npos,
            communities=list(leader.communities),
        )


class PolicyIO(BaseModel):
    model_config = STRICT
    leader_npo_cap: JsonInt = Field(
        ge=1, le=10_000, description="Default NPOs per leader."
    )
    communities_per_leader: JsonInt = Field(
        ge=1, le=10_000, description="Communities one leader may lead (CL5)."
    )

    @classmethod
    def of(cls, policy: PolicyRow) -> PolicyIO:
        return cls(
            leader_npo_cap=policy.leader_npo_cap,
            communities_per_leader=policy.communities_per_leader,
        )
