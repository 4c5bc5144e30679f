"""Admin's management of users: list, read, grant and revoke roles, disable, erase."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from adapters.http.auth import AdminDep, IdentityDep, only_admins
from adapters.http.commands import Accepted, ActorDep, DispatchDep
from adapters.http.errors import ProblemError
from adapters.http.identity.reading import UserReads, fresh_users, self_or_admin
from adapters.http.identity.schemas import (
    DisableRequest,
    UserPageResponse,
    UserResponse,
)
from commands.identity.messages import (
    DisableUser,
    EnableUser,
    EraseUser,
    GrantRole,
    RevokeRole,
)
from domain.identity.values import Role
from queries.identity.users import MAX_PAGE_SIZE

router = APIRouter(prefix="/users", tags=["users"])

# Read-your-writes after the route's own check: admins, or the user themselves.
FRESH_USERS_FOR_ADMINS = Depends(fresh_users(only_admins))
FreshUserDep = Annotated[UserReads, Depends(fresh_users(self_or_admin))]


@router.get("", dependencies=[FRESH_USERS_FOR_ADMINS])
def list_users(
    admin: AdminDep,
    identity: IdentityDep,
    role: Role | None = None,
    after: Annotated[
        str | None,
        Query(
            alias="cursor",
            description="next_cursor of the last page (a user id)",
            pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> UserPageResponse:
    """Users ordered by id, a page at a time, optionally only those with ``role``."""
    page = identity.directory.list(role=role, after=after, limit=limit)
    return UserPageResponse(
        users=[UserResponse.of(u) for u in page.users], next_cursor=page.next_cursor
    )


@router.get(
    "/{user_id}",
    responses={403: {"description": "Someone else's record, and you are no admin."}},
)
async def read_user(user_id: UUID, users: FreshUserDep) -> UserResponse:
    """One user: admins see anyone; everyone else only themselves."""
    found = await users.get(user_id)
    if found is None:
        raise ProblemError(404, "No such user.")
    return UserResponse.of(found)


@router.put("/{user_id}/roles/{role}")
def grant_role(
    user_id: UUID, role: Role, admin: AdminDep, actor: ActorDep, dispatch: DispatchDep
) -> Accepted:
    """Grant a role (admin only)."""
    return Accepted.of(
        dispatch.dispatch(GrantRole(actor=actor, user_id=user_id, role=role))
    )


@router.delete("/{user_id}/roles/{role}")
def revoke_role(
    user_id: UUID, role: Role, admin: AdminDep, actor: ActorDep, dispatch: DispatchDep
) -> Accepted:
    """Revoke a role (admin only); the user's refresh tokens are revoked too."""
    return Accepted.of(
        dispatch.dispatch(RevokeRole(actor=actor, user_id=user_id, role=role))
    )


@router.post("/{user_id}/disable")
def disable_user(
    user_id: UUID,
    body: DisableRequest,
    admin: AdminDep,
    actor: ActorDep,
    dispatch: DispatchDep,
) -> Accepted:
    """Disable an account that broke the rules (A1); its tokens stop working."""
    return Accepted.of(
        dispatch.dispatch(DisableUser(actor=actor, user_id=user_id, reason=body.reason))
    )


@router.post("/{user_id}/enable")
def enable_user(
    user_id: UUID, admin: AdminDep, actor: ActorDep, dispatch: DispatchDep
) -> Accepted:
    """Enable a disabled account again; the user signs in afresh."""
    return Accepted.of(dispatch.dispatch(EnableUser(actor=actor, user_id=user_id)))


@router.delete("/{user_id}")
def erase_user(
    user_id: UUID, admin: AdminDep, actor: ActorDep, dispatch: DispatchDep
) -> Accepted:
    """Erase an account and its personal data (admin only; irreversible)."""
    return Accepted.of(dispatch.dispatch(EraseUser(actor=actor, user_id=user_id)))
