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
    require_roles,
)
from adapters.http.consistency import read_your_writes
from adapters.http.routers.onboarding_common import (
    NPO_VIEWS,
    Accepted,
    CorrelationDep,
    OnboardingDep,
    actor_of,
    not_found,
    user_roles,
    viewer_of,
)
from adapters.http.routers.onboarding_schemas import (
    CommunityIn,
    CommunityOut,
    LeaderCapIn,
    LeaderOut,
    PolicyIO,
)
from commands.onboarding import communities
from domain.identity.values import Role
from queries import onboarding as q

router = APIRouter(prefix="/communities", tags=["communities"])
leaders_router = APIRouter(prefix="/leaders", tags=["communities"])
policy_router = APIRouter(prefix="/onboarding-policy", tags=["communities"])

Founder = Annotated[
    CurrentUser, Depends(require_roles(Role.COMMUNITY_LEADER, Role.ADMIN))
]

_fresh = Depends(read_your_writes(*NPO_VIEWS))


@router.get("", dependencies=[_fresh])
def list_communities(
    user: CurrentUserDep, container: ContainerDep
) -> list[CommunityOut]:
    """Every community with its tags and leaders (admins also see who waits)."""
    viewer = viewer_of(user)
    return [CommunityOut.of(c, viewer) for c in q.list_communities(container.views)]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_community(
    body: CommunityIn, user: Founder, app: OnboardingDep, correlation: CorrelationDep
) -> Accepted:
    """A community leader or an admin creates a community (CL4, A2); its id comes
    first in ``ids``. NPOs are placed by matching its tags."""
    result = communities.create_community(
        app,
        actor_of(user, correlation),
        name=body.name,
        description=body.description,
        tags=body.tags,
    )
    return Accepted.of(result)


@router.post("/default", status_code=status.HTTP_200_OK)
def ensure_default_community(
    user: AdminDep, app: OnboardingDep, correlation: CorrelationDep
) -> Accepted:
    """Make sure the default community exists (it is also made on first need), so
    leaders can be assigned to it."""
    result = communities.ensure_default_community(app, actor_of(user, correlation))
    return Accepted.of(result)


@router.get("/{community_id}", dependencies=[_fresh])
def read_community(
    community_id: UUID, user: CurrentUserDep, container: ContainerDep
) -> CommunityOut:
    found = q.get_community(container.views, str(community_id))
    if found is None:
        raise not_found("community")
    return CommunityOut.of(found, viewer_of(user))


@router.put("/{community_id}")
def update_community(
    community_id: UUID,
    body: CommunityIn,
    user: Founder,
    app: OnboardingDep,
    correlation: CorrelationDep,
) -> Accepted:
    """An admin, or the leader who founded it, changes a community."""
    result = communities.update_community(
        app,
        actor_of(user, correlation),
        community_id,
        name=body.name,
        description=body.description,
        tags=body.tags,
    )
    return Accepted.of(result)


@router.put("/{community_id}/leaders/{user_id}")
def add_leader(
    *,
    community_id: UUID,
    user_id: UUID,
    user: AdminDep,
    app: OnboardingDep,
    container: ContainerDep,
    correlation: CorrelationDep,
) -> Accepted:
    """An admin makes a COMMUNITY_LEADER lead the community (CL5: up to the cap of
    communities per leader). Waiting NPOs get the newcomer's capacity at once."""
    roles = user_roles(container, user_id)
    result = communities.add_leader(
        app, actor_of(user, correlation), community_id, str(user_id), roles
    )
    return Accepted.of(result)


@router.delete("/{community_id}/leaders/{user_id}")
def remove_leader(
    community_id: UUID,
    user_id: UUID,
    user: AdminDep,
    app: OnboardingDep,
    correlation: CorrelationDep,
) -> Accepted:
    """The leader leaves the community: their NPOs there are reassigned round-robin
    (or wait, ahead of later NPOs)."""
    result = communities.remove_leader(
        app, actor_of(user, correlation), community_id, str(user_id)
    )
    return Accepted.of(result)


@leaders_router.get("", dependencies=[_fresh])
def list_leaders(user: AdminDep, container: ContainerDep) -> list[LeaderOut]:
    """Every leader with their cap, their active NPOs and their communities."""
    return [LeaderOut.of(r) for r in q.list_leaders(container.views)]


@leaders_router.put("/{user_id}/cap")
def set_leader_cap(
    user_id: UUID,
    body: LeaderCapIn,
    user: AdminDep,
    app: OnboardingDep,
    correlation: CorrelationDep,
) -> Accepted:
    """An admin sets a leader's own NPO cap (null: the platform default). A raise
    serves waiting NPOs at once."""
    result = communities.set_leader_cap(
        app, actor_of(user, correlation), str(user_id), body.npo_cap
    )
    return Accepted.of(result)


@policy_router.get("", dependencies=[_fresh])
def read_policy(user: AdminDep, container: ContainerDep) -> PolicyIO:
    cap, per_leader = q.get_policy(container.views)
    return PolicyIO(leader_npo_cap=cap, communities_per_leader=per_leader)


@policy_router.put("")
def set_policy(
    body: PolicyIO, user: AdminDep, app: OnboardingDep, correlation: CorrelationDep
) -> Accepted:
    """The platform's default caps; a raised NPO cap serves every waiting queue."""
    result = communities.set_policy(
        app,
        actor_of(user, correlation),
        body.leader_npo_cap,
        body.communities_per_leader,
    )
    return Accepted.of(result)
