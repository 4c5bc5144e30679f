"""Sign-in with an OpenID Connect ID token; refresh; sign-out."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response

from adapters.http.auth import (
    CurrentUserDep,
    IdentityAppDep,
    IdentityDep,
    unauthorized,
)
from adapters.http.commands import CorrelationDep, DispatchDep
from adapters.http.identity.schemas import (
    RefreshRequest,
    SignInRequest,
    TokenResponse,
)
from adapters.identity.services import IdentityServices
from commands.base import Actor
from commands.identity.messages import SignIn
from domain.identity.user import User
from domain.identity.values import Role

router = APIRouter(prefix="/auth", tags=["auth"])


def _tokens(
    identity: IdentityServices,
    user_id: UUID,
    roles: frozenset[Role],
    *,
    position: int | None,
    refresh_token: str,
    refresh_expires_in: int,
    new_user: bool = False,
    consistency_token: str | None = None,
) -> TokenResponse:
    access = identity.access_tokens.issue(user_id, roles, position)
    return TokenResponse(
        access_token=access.token,
        expires_in=access.expires_in,
        refresh_token=refresh_token,
        refresh_expires_in=refresh_expires_in,
        user_id=user_id,
        roles=sorted(roles),
        new_user=new_user,
        consistency_token=consistency_token,
    )


@router.post(
    "/sign-in",
    responses={401: {"description": "The ID token is refused"}},
)
def sign_in(
    body: SignInRequest,
    identity: IdentityDep,
    correlation: CorrelationDep,
    dispatch: DispatchDep,
) -> TokenResponse:
    """Exchange a verified ID token for the platform's access and refresh tokens.

    The first sign-in creates the user (with the self-serve roles asked for). A new
    provider is linked to an existing user only when it verified the same email.
    An ID token, and its nonce, are exchanged once: again is refused (401).
    """
    verified = identity.verifier.verify(body.id_token, body.nonce)
    identity.spent_id_tokens.spend(verified)
    outcome = dispatch.dispatch(
        SignIn(
            actor=Actor.system(correlation),
            issuer=verified.issuer,
            subject=verified.subject,
            email=verified.email,
            email_verified=verified.email_verified,
            given_name=verified.given_name,
            family_name=verified.family_name,
            sign_up_roles=frozenset(body.roles),
        )
    )
    # The answer to a sign-in is a new session: its tokens.
    refresh = identity.refresh_tokens.issue(outcome.user_id)
    return _tokens(
        identity,
        outcome.user_id,
        outcome.roles,
        position=outcome.result.position,
        refresh_token=refresh.token,
        refresh_expires_in=refresh.expires_in,
        new_user=outcome.created,
        consistency_token=outcome.result.consistency_token,
    )


@router.post(
    "/refresh",
    responses={401: {"description": "The refresh token is not valid"}},
)
def refresh(
    body: RefreshRequest,
    identity: IdentityDep,
    app: IdentityAppDep,
) -> TokenResponse:
    """A new access token and the next refresh token; the one sent is spent.

    Roles come fresh from the user's record, so a change shows in the new token.
    """
    rotated = identity.refresh_tokens.rotate(body.refresh_token)
    user = app.find(User, rotated.user_id)
    if user is None or not user.is_active:
        identity.refresh_tokens.revoke_all(rotated.user_id)
        raise unauthorized("The account is disabled or no longer exists.")
    return _tokens(
        identity,
        user.id,
        frozenset(user.roles),
        position=None,
        refresh_token=rotated.token,
        refresh_expires_in=rotated.expires_in,
    )


@router.post("/sign-out", status_code=204)
def sign_out(body: RefreshRequest, identity: IdentityDep) -> Response:
    """Revoke this sign-in's refresh token (and its successors).

    Always 204, so the answer tells nothing about the token.
    """
    identity.refresh_tokens.revoke(body.refresh_token)
    return Response(status_code=204)


@router.post("/sign-out-everywhere", status_code=204)
def sign_out_everywhere(user: CurrentUserDep, identity: IdentityDep) -> Response:
    """Revoke every refresh token of the signed-in user."""
    identity.refresh_tokens.revoke_all(user.id)
    return Response(status_code=204)
