"""Authentication and authorization as FastAPI dependencies; every route uses them.

``CurrentUserDep``: a verified platform access token, then the user's *current*
roles and disabled flag from the user cache (the relational view when Redis misses
or is down). So a disable, an erasure or a role change applies as soon as the views
have it, not only when the token expires. The token's verification (signature,
claims) is remembered until it expires (``adapters.identity.verified_tokens``); the
user is read on every request.

Every dependency here is ``async`` and stays on the event loop when the token was
seen before and the user cache answers: no worker thread per dependency. A thread
serves only what may block: a first verification, the view on a cache miss, a new
user's wait for the views.

``require_roles(...)`` refuses with 403 a user holding none of the roles;
``ensure_self_or_roles`` is the ownership check beside it (the user themselves, or
someone holding one of the roles). A route's read-your-writes wait depends on its
authorization (``adapters.http.consistency``): nobody waits before being let in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

import anyio.to_thread
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from adapters.bootstrap import Container
from adapters.identity.services import IdentityServices
from commands.identity.application import IdentityApplication
from domain.base import NotFoundError
from domain.identity.values import Role
from projections.identity.user_info import UserInfo
from projections.identity.users_view import USERS_PROJECTION

# How long a new user's first requests wait for the views before asking the write
# model instead.
NEW_USER_WAIT = 0.5

_bearer = HTTPBearer(
    auto_error=False,
    description="The platform's access token from POST /auth/sign-in.",
)


@dataclass(frozen=True)
class CurrentUser:
    id: UUID
    roles: frozenset[Role]
    # What the request's user lookup found, so a route needs no second read.
    info: UserInfo | None = None

    def has_any(self, *roles: Role) -> bool:
        return bool(self.roles & set(roles))


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        401,
        detail,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def forbidden(detail: str = "Your roles do not allow this.") -> HTTPException:
    return HTTPException(403, detail)


def container_of(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


async def _container(request: Request) -> Container:
    return container_of(request)


ContainerDep = Annotated[Container, Depends(_container)]


async def identity_of(request: Request) -> IdentityServices:
    return container_of(request).identity


async def identity_application(request: Request) -> IdentityApplication:
    return container_of(request).application(IdentityApplication)


IdentityDep = Annotated[IdentityServices, Depends(identity_of)]
IdentityAppDep = Annotated[IdentityApplication, Depends(identity_application)]


async def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> CurrentUser:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            401,
            "Sign in and send the access token as 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    container = container_of(request)
    identity = container.identity
    claims = await identity.verified_tokens.verify(credentials.credentials)
    user = await identity.directory.lookup(claims.user_id)
    if user is None and claims.position is not None:
        # A brand-new user whose sign-in the views have not applied yet: wait a
        # little for them, then ask the write model, which always knows.
        lag = await anyio.to_thread.run_sync(
            container.engine.wait_for,
            IdentityApplication.name,
            claims.position,
            [USERS_PROJECTION],
            min(container.settings.read_your_writes_timeout_seconds, NEW_USER_WAIT),
        )
        user = await identity.directory.lookup(claims.user_id)
        if user is None and lag:
            user = await anyio.to_thread.run_sync(
                _from_write_model, container, claims.user_id
            )
    if user is None:
        raise unauthorized("The account no longer exists.")
    if user.disabled:
        raise unauthorized("The account is disabled.")
    return CurrentUser(user.id, user.roles, user)


CurrentUserDep = Annotated[CurrentUser, Depends(current_user)]


def _from_write_model(container: Container, user_id: UUID) -> UserInfo | None:
    try:
        user = container.application(IdentityApplication).get_user(user_id)
    except NotFoundError:
        return None
    if user.erased:
        return None
    return UserInfo(
        id=user.id,
        version=user.version,
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        date_of_birth=user.date_of_birth,
        address=user.address if user.address else None,
        gender=user.gender,
        phone=user.phone,
        roles=frozenset(user.roles),
        disabled=user.disabled,
        created_at=user.created_on.isoformat(),
        updated_at=user.modified_on.isoformat(),
    )


def require_roles(*roles: Role) -> Callable[[CurrentUser], Awaitable[CurrentUser]]:
    """A dependency admitting users who hold any of ``roles``."""
    allowed = frozenset(roles)

    async def check(user: CurrentUserDep) -> CurrentUser:
        if not user.roles & allowed:
            raise forbidden()
        return user

    return check


# One dependency per role, so a route's read-your-writes wait can depend on the
# same check its parameters use (FastAPI then runs it once, before the wait).
only_admins = require_roles(Role.ADMIN)
only_npos = require_roles(Role.NPO)
only_leaders = require_roles(Role.COMMUNITY_LEADER)

AdminDep = Annotated[CurrentUser, Depends(only_admins)]
NpoDep = Annotated[CurrentUser, Depends(only_npos)]
LeaderDep = Annotated[CurrentUser, Depends(only_leaders)]


def ensure_self_or_roles(user: CurrentUser, owner_id: UUID, *roles: Role) -> None:
    """Ownership: the owner themselves, or someone holding one of ``roles``."""
    if user.id != owner_id and not user.has_any(*roles):
        raise forbidden("You may only see or change your own record.")
