"""Communities (CL4, A2), their leaders (CL5), leaders' caps and the platform's
default caps."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, status

from adapters.http.auth import (
    AdminDep,
    ContainerDep,
    CurrentUser,
    CurrentUserDep,
    forbidden,
)
from adapters.http.commands import Accepted, ActorDep, DispatchDep
from adapters.http.onboarding.reading import (
    FRESH_NPOS,
    FRESH_NPOS_FOR_ADMINS,
    ViewerDep,
)
from adapters.http.onboarding.schemas_communities import (
    CommunityIn,
    CommunityOut,
    LeaderCapIn,
    LeaderOut,
    NewCommunityIn,
    PolicyIO,
)
from adapters.http.openapi import CONSISTENCY_TOKEN, FIRST_ID, links_to
from commands.onboarding.messages import (
    AddLeader,
    CreateCommunity,
    EnsureDefaultCommunity,
    RemoveLeader,
    SetLeaderCap,
    SetPolicy,
    UpdateCommunity,
)
from domain.onboarding.values import ROLE_ADMIN, ROLE_COMMUNITY_LEADER
from queries.onboarding import communities as q

router = APIRouter(prefix="/communities", tags=["communities"])
leaders_router = APIRouter(prefix="/leaders", tags=["communities"])
policy_router = APIRouter(prefix="/onboarding-policy", tags=["communities"])

FOUNDER_ROLES = frozenset({ROLE_COMMUNITY_LEADER, ROLE_ADMIN})


async def founder(user: CurrentUserDep) -> CurrentUser:
    """Community leaders and admins found and change communities."""
    if not {str(r) for r in user.roles} & FOUNDER_ROLES:
        raise forbidden()
    return user


FounderDep = Annotated[CurrentUser, Depends(founder)]


@router.get("", dependencies=[FRESH_NPOS])
def list_communities(viewer: ViewerDep, container: ContainerDep) -> list[CommunityOut]:
    """Every community with its tags and leaders (admins also see who waits)."""
    return [CommunityOut.of(c, viewer) for c in q.list_communities(container.views)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        201: {
            "description": "Created: the community's id comes first in `ids`.",
            "links": links_to(
                "GET /communities/{community_id}",
                "PUT /communities/{community_id}",
                community_id=FIRST_ID,
                after=CONSISTENCY_TOKEN,
            ),
        }
    },
)
def create_community(
    body: NewCommunityIn, user: FounderDep, actor: ActorDep, dispatch: DispatchDep
) -> Accepted:
    """A community leader or an admin creates a community (CL4, A2); its id comes
    first in ``ids``. NPOs are placed by matching its tags."""
    command = CreateCommunity(
        actor=actor, name=body.name, description=body.description, tags=body.tags
    )
    return Accepted.of(dispatch.dispatch(command))


@router.post("/default", status_code=status.HTTP_200_OK)
def ensure_default_community(
    user: AdminDep, actor: ActorDep, dispatch: DispatchDep
) -> Accepted:
    """Make sure the default community exists (it is also made on first need), so
    leaders can be assigned to it."""
    return Accepted.of(dispatch.dispatch(EnsureDefaultCommunity(actor=actor)))


@router.get("/{community_id}", dependencies=[FRESH_NPOS])
def read_community(
    community_id: UUID, viewer: ViewerDep, container: ContainerDep
) -> CommunityOut:
    return CommunityOut.of(q.get_community(container.views, str(community_id)), viewer)


@router.put("/{community_id}")
def update_community(
    community_id: UUID,
    body: CommunityIn,
    user: FounderDep,
    actor: ActorDep,
    dispatch: DispatchDep,
) -> Accepted:
    """An admin, or the leader who founded it, changes a community."""
    command = UpdateCommunity(
        actor=actor,
        community_id=community_id,
        name=body.name,
        description=body.description,
        tags=body.tags,
    )
    return Accepted.of(dispatch.dispatch(command))


@router.put("/{community_id}/leaders/{user_id}")
def add_leader(
    community_id: UUID,
    user_id: UUID,
    user: AdminDep,
    actor: ActorDep,
    dispatch: DispatchDep,
) -> Accepted:
    """An admin makes a COMMUNITY_LEADER lead the community (CL5: up to the cap of
    communities per leader). Waiting NPOs get the newcomer's capacity at once."""
    command = AddLeader(actor=actor, community_id=community_id, user_id=str(user_id))
    return Accepted.of(dispatch.dispatch(command))


@router.delete("/{community_id}/leaders/{user_id}")
def remove_leader(
    community_id: UUID,
    user_id: UUID,
    user: AdminDep,
    actor: ActorDep,
    dispatch: DispatchDep,
) -> Accepted:
    """The leader leaves the community: their NPOs there are reassigned round-robin
    (or wait, ahead of later NPOs)."""
    command = RemoveLeader(actor=actor, community_id=community_id, user_id=str(user_id))
    return Accepted.of(dispatch.dispatch(command))


@leaders_router.get("", dependencies=[FRESH_NPOS_FOR_ADMINS])
def list_leaders(user: AdminDep, container: ContainerDep) -> list[LeaderOut]:
    """Every leader with their cap, their active NPOs and their communities."""
    return [LeaderOut.of(r) for r in q.list_leaders(container.views)]


@leaders_router.put("/{user_id}/cap")
def set_leader_cap(
    user_id: UUID,
    body: LeaderCapIn,
    user: AdminDep,
    actor: ActorDep,
    dispatch: DispatchDep,
) -> Accepted:
    """An admin sets a leader's own NPO cap (null: the platform default). A raise
    serves waiting NPOs at once."""
    command = SetLeaderCap(actor=actor, user_id=str(user_id), npo_cap=body.npo_cap)
    return Accepted.of(dispatch.dispatch(command))


@policy_router.get("", dependencies=[FRESH_NPOS_FOR_ADMINS])
def read_policy(user: AdminDep, container: ContainerDep) -> PolicyIO:
    return PolicyIO.of(q.get_policy(container.views))


@policy_router.put("")
def set_policy(
    body: PolicyIO, user: AdminDep, actor: ActorDep, dispatch: DispatchDep
) -> Accepted:
    """The platform's default caps; a raised NPO cap serves every waiting queue."""
    command = SetPolicy(
        actor=actor,
        leader_npo_cap=body.leader_npo_cap,
        communities_per_leader=body.communities_per_leader,
    )
    return Accepted.of(dispatch.dispatch(command))
