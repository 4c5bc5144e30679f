"""The platform's own access tokens: short-lived ES256 JWTs with a key id.

They carry the user id (``sub``) and roles. Requests re-check the user's current
roles and disabled flag in the user cache, so a role change or a disable applies at
once there; the token's lifetime bounds everything else (a refresh re-reads the user).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from uuid import UUID, uuid4

import jwt

from adapters.identity.signing_keys import SqlSigningKeys
from domain.identity.values import Role

PLATFORM_JWT_ALGORITHM = "ES256"
PLATFORM_AUDIENCE = "spotlight-api"


class InvalidAccessTokenError(Exception):
    """The bearer token is not one of ours, or no longer valid; the text is safe."""


@dataclass(frozen=True)
class AccessClaims:
    user_id: UUID
    roles: frozenset[Role]
    # The identity log's position when the token was issued for a new user: a view
    # that has not reached it yet is waited for instead of answering "unknown user".
    position: int | None
    # ``exp``: after it (and the leeway) the token is refused.
    expires_at: float = 0.0


@dataclass(frozen=True)
class IssuedAccessToken:
    token: str
    expires_in: int


class AccessTokens:
    def __init__(
        self,
        keys: SqlSigningKeys,
        issuer: str,
        ttl_seconds: int,
        leeway_seconds: int = 30,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = keys
        self._issuer = issuer
        self._ttl = ttl_seconds
        self._leeway = leeway_seconds
        self._clock = clock

    def issue(
        self, user_id: UUID, roles: Iterable[Role], position: int | None = None
    ) -> IssuedAccessToken:
        key = self._keys.current()
        now = int(self._clock())
        claims: dict[str, object] = {
            "iss": self._issuer,
            "aud": PLATFORM_AUDIENCE,
            "sub": str(user_id),
            "roles": sorted(r.value for r in roles),
            "iat": now,
            "nbf": now,
            "exp": now + self._ttl,
            "jti": uuid4().hex,
        }
        if position is not None:
            claims["pos"] = position
        token = jwt.encode(
            claims,
            key.private_key,
            algorithm=PLATFORM_JWT_ALGORITHM,
            headers={"kid": key.kid, "typ": "at+jwt"},
        )
        return IssuedAccessToken(token, self._ttl)

    def verify(self, token: str) -> AccessClaims:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidAccessTokenError("The access token is malformed.") from None
        # Only our algorithm: refuses "none" and HS256 signed with our public key.
        if header.get("alg") != PLATFORM_JWT_ALGORITHM:
            raise InvalidAccessTokenError("The access token's algorithm is refused.")
        kid = header.get("kid")
        key = self._keys.find(kid) if isinstance(kid, str) else None
        if key is None:
            raise InvalidAccessTokenError("The access token's key is unknown.")
        try:
            claims = jwt.decode(
                token,
                key.private_key.public_key(),
                algorithms=[PLATFORM_JWT_ALGORITHM],
                audience=PLATFORM_AUDIENCE,
                issuer=self._issuer,
                # Times are checked below against our clock (testable, one leeway).
                options={
                    "require": ["exp", "iat", "nbf", "sub", "iss", "aud"],
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError:
            raise InvalidAccessTokenError("The access token is not valid.") from None
        self._check_times(claims)
        try:
            user_id = UUID(str(claims["sub"]))
            roles = frozenset(Role(r) for r in claims.get("roles", []))
        except ValueError:
            raise InvalidAccessTokenError("The access token is not valid.") from None
        position = claims.get("pos")
        expires = claims["exp"]
        assert isinstance(expires, int | float)  # checked by _check_times
        return AccessClaims(
            user_id,
            roles,
            position if isinstance(position, int) else None,
            float(expires),
        )

    def _check_times(self, claims: dict[str, object]) -> None:
        now = self._clock()
        expires, not_before, issued = claims["exp"], claims["nbf"], claims["iat"]
        if not all(isinstance(t, int | float) for t in (expires, not_before, issued)):
            raise InvalidAccessTokenError("The access token is not valid.")
        assert isinstance(expires, int | float)
        assert isinstance(not_before, int | float)
        assert isinstance(issued, int | float)
        if now > expires + self._leeway:
            raise InvalidAccessTokenError("The access token has expired.")
        if max(not_before, issued) > now + self._leeway:
            raise InvalidAccessTokenError("The access token is not valid yet.")
