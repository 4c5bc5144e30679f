"""The signed-in user's own record: read, update, erase (C1), self-serve roles."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from adapters.http.auth import CurrentUserDep, current_user
from adapters.http.commands import Accepted, ActorDep, DispatchDep
from adapters.http.errors import ProblemError
from adapters.http.identity.reading import UserReads, fresh_users
from adapters.http.identity.schemas import ProfilePatch, UserResponse
from commands.identity.messages import ChooseRole, EraseUser, UpdateProfile
from domain.identity.values import Role

router = APIRouter(prefix="/me", tags=["me"])


@router.get(
    "",
    responses={404: {"description": "Your record is not (or no longer) there."}},
)
async def read_me(
    users: Annotated[UserReads, Depends(fresh_users(current_user))],
) -> UserResponse:
    """Your profile and roles (from the user cache; the view if Redis is down)."""
    found = await users.get(users.caller.id)
    if found is None:
        raise ProblemError(404, "No such user.")
    return UserResponse.of(found)


@router.patch("")
def update_me(
    body: ProfilePatch, user: CurrentUserDep, actor: ActorDep, dispatch: DispatchDep
) -> Accepted:
    """Change the fields you send; ``null`` clears one. Email and roles are not here."""
    changes: dict[str, Any] = {
        name: getattr(body, name) for name in body.model_fields_set
    }
    if body.address is not None:
        changes["address"] = body.address.to_command()
    return Accepted.of(
        dispatch.dispatch(UpdateProfile(actor=actor, user_id=user.id, **changes))
    )


@router.delete("")
def erase_me(user: CurrentUserDep, actor: ActorDep, dispatch: DispatchDep) -> Accepted:
    """Erase your account (C1): your personal data becomes unreadable everywhere.

    Irreversible. Your tokens stop working; signing in again makes a new account.
    """
    return Accepted.of(dispatch.dispatch(EraseUser(actor=actor, user_id=user.id)))


@router.put("/roles/{role}")
def choose_role(
    role: Role, user: CurrentUserDep, actor: ActorDep, dispatch: DispatchDep
) -> Accepted:
    """Take a self-serve role (NPO or CANDIDATE); other roles only an admin grants."""
    return Accepted.of(
        dispatch.dispatch(ChooseRole(actor=actor, user_id=user.id, role=role))
    )
