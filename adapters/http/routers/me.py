"""The signed-in user's own record: read, update, erase (C1), self-serve roles."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from adapters.http.auth import (
    CurrentUserDep,
    IdentityAppDep,
    IdentityDep,
    fresh_user_reads,
)
from adapters.http.errors import ProblemError
from adapters.http.routers.identity_schemas import (
    CommandAccepted,
    ProfilePatch,
    UserResponse,
)
from commands.base import new_correlation_id
from commands.identity import ChooseRole, EraseUser, UpdateProfile
from domain.identity.values import Role

router = APIRouter(prefix="/me", tags=["me"])


@router.get(
    "",
    dependencies=[Depends(fresh_user_reads)],
)
def read_me(user: CurrentUserDep, identity: IdentityDep) -> UserResponse:
    """Your profile and roles (from the user cache; the view if Redis is down)."""
    found = user.info or identity.directory.get(user.id)
    if found is None:
        raise ProblemError(404, "No such user.")
    return UserResponse.of(found)


@router.patch("")
def update_me(
    body: ProfilePatch, user: CurrentUserDep, app: IdentityAppDep
) -> CommandAccepted:
    """Change the fields you send; ``null`` clears one. Email and roles are not here."""
    changes: dict[str, Any] = {
        name: getattr(body, name) for name in body.model_fields_set
    }
    if body.address is not None:
        changes["address"] = body.address.to_command()
    result = app.update_profile(
        UpdateProfile(
            actor_id=str(user.id),
            correlation_id=new_correlation_id(),
            user_id=user.id,
            **changes,
        )
    )
    return CommandAccepted.of(result)


@router.delete("")
def erase_me(
    user: CurrentUserDep, app: IdentityAppDep, identity: IdentityDep
) -> CommandAccepted:
    """Erase your account (C1): your personal data becomes unreadable everywhere.

    Irreversible. Your tokens stop working; signing in again makes a new account.
    """
    result = app.erase(
        EraseUser(
            actor_id=str(user.id),
            correlation_id=new_correlation_id(),
            user_id=user.id,
        )
    )
    identity.refresh_tokens.revoke_all(user.id)
    return CommandAccepted.of(result)


@router.put("/roles/{role}")
def choose_role(
    role: Role, user: CurrentUserDep, app: IdentityAppDep
) -> CommandAccepted:
    """Take a self-serve role (NPO or CANDIDATE); other roles only an admin grants."""
    result = app.choose_role(
        ChooseRole(
            actor_id=str(user.id),
            correlation_id=new_correlation_id(),
            user_id=user.id,
            role=role,
        )
    )
    return CommandAccepted.of(result)
