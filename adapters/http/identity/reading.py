"""What the identity query routes share: reading users after a consistency token.

A route reading users, given ``?after=`` or ``Spotlight-After``, waits for the
relational view (504 if it cannot catch up in time), then briefly for the cache; a
cache still behind (Redis down, say) is skipped for this request and the view
answers. Like every wait, it comes after the route's authorization.
"""

# No ``from __future__ import annotations``: FastAPI evaluates the annotations of
# the dependencies made below, and they name the factory's ``authorized_by``.

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from adapters.http.auth import (
    CurrentUser,
    CurrentUserDep,
    container_of,
    ensure_self_or_roles,
)
from adapters.http.consistency import ConsistencyToken, consistency_token, reflect
from domain.identity.values import Role
from projections.identity.user_cache import USER_CACHE_PROJECTION
from projections.identity.user_info import UserInfo
from projections.identity.users_view import USERS_PROJECTION
from queries.identity.users import UserDirectory

# How long a read-your-writes request waits for the cache once the view has the write.
CACHE_CATCH_UP_SECONDS = 0.5


@dataclass(frozen=True)
class UserReads:
    """Users as the route may read them: after any wait the request asked for."""

    directory: UserDirectory
    caller: CurrentUser
    # False when the cache had not caught up with the caller's consistency token.
    use_cache: bool = True
    waited: bool = False

    async def get(self, user_id: UUID) -> UserInfo | None:
        if not self.waited and user_id == self.caller.id and self.caller.info:
            return self.caller.info  # what authentication found: no second read
        return await self.directory.lookup(user_id, use_cache=self.use_cache)


def fresh_users(
    authorized_by: Callable[..., Awaitable[CurrentUser]],
) -> Callable[..., Awaitable[UserReads]]:
    """A dependency for a route reading users; ``authorized_by`` runs first."""

    async def reads(
        request: Request,
        caller: Annotated[CurrentUser, Depends(authorized_by)],
        token: Annotated[ConsistencyToken | None, Depends(consistency_token)],
    ) -> UserReads:
        container = container_of(request)
        directory = container.identity.directory
        if token is None:
            return UserReads(directory, caller)
        await reflect(container, token, [USERS_PROJECTION])
        timeout = container.settings.read_your_writes_timeout_seconds
        cache_lag = await run_in_threadpool(
            container.engine.wait_for,
            token.source,
            token.position,
            [USER_CACHE_PROJECTION],
            min(timeout, CACHE_CATCH_UP_SECONDS),
        )
        return UserReads(directory, caller, use_cache=not cache_lag, waited=True)

    return reads


async def self_or_admin(user_id: UUID, user: CurrentUserDep) -> CurrentUser:
    """Ownership of ``/users/{user_id}``: the user themselves, or an admin."""
    ensure_self_or_roles(user, user_id, Role.ADMIN)
    return user
