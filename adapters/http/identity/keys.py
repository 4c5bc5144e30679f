"""The platform's public signing keys, for anyone verifying its access tokens."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from adapters.http.auth import IdentityDep

router = APIRouter(prefix="/.well-known", tags=["well-known"])


@router.get("/jwks.json")
def jwks(identity: IdentityDep, response: Response) -> dict[str, Any]:
    """Current and recently retired ES256 keys of the platform's access tokens."""
    response.headers["Cache-Control"] = "public, max-age=300"
    return identity.signing_keys.jwks()
