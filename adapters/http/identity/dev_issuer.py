"""The development OpenID provider's HTTP face (only in development).

``POST /dev-issuer/token`` signs an ID token for any email: that is its purpose, and
why settings refuse it in production.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from adapters.http.identity.schemas import DevTokenRequest, DevTokenResponse
from adapters.oidc.dev_issuer import DEV_ISSUER_PATH, DevelopmentIssuer


def dev_issuer_router(issuer: DevelopmentIssuer) -> APIRouter:
    router = APIRouter(prefix=DEV_ISSUER_PATH, tags=["development issuer"])

    @router.get("/.well-known/openid-configuration")
    def discovery() -> dict[str, Any]:
        """The development issuer's OpenID discovery document."""
        return issuer.discovery()

    @router.get("/jwks")
    def jwks() -> dict[str, Any]:
        """The development issuer's public keys."""
        return issuer.jwks()

    @router.post("/token")
    def token(body: DevTokenRequest) -> DevTokenResponse:
        """An ID token for this email, name and nonce (development only)."""
        return DevTokenResponse(
            id_token=issuer.issue_id_token(
                email=body.email,
                nonce=body.nonce,
                given_name=body.given_name,
                family_name=body.family_name,
                email_verified=body.email_verified,
            )
        )

    return router
