"""Verifies ID tokens from the configured OpenID Connect providers.

For each issuer: discovery (``/.well-known/openid-configuration``, whose ``issuer``
must match), then the JWKS it names, both cached; an unknown key id triggers one
refetch (at most every ``min_refetch_seconds``, so forged key ids cannot make us
hammer the provider). A token passes when its algorithm is allowed (RS256, ES256 —
never ``none`` or HMAC), its key id is known, the signature holds, ``iss`` and
``aud`` match the configuration, ``exp``/``iat``/``nbf`` are right within the leeway
and its ``nonce`` equals the one the client sent.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt

ALLOWED_ALGORITHMS = ("RS256", "ES256")


class IdTokenError(Exception):
    """The ID token is refused; the message says why and is safe to show."""


class IssuerUnavailableError(Exception):
    """The provider's discovery document or keys could not be fetched."""


@dataclass(frozen=True)
class IssuerConfig:
    name: str
    issuer: str
    client_ids: tuple[str, ...]
    discovery_url: str | None = None
    # Other spellings of ``iss`` the provider uses (Google: "accounts.google.com").
    issuer_aliases: tuple[str, ...] = ()

    @property
    def discovery(self) -> str:
        return self.discovery_url or (
            self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        )

    @property
    def accepted_issuers(self) -> tuple[str, ...]:
        return (self.issuer, *self.issuer_aliases)


@dataclass(frozen=True)
class VerifiedIdToken:
    issuer: str  # the configured issuer, whichever alias the token used
    subject: str
    email: str | None
    email_verified: bool
    given_name: str | None
    family_name: str | None
    # What makes the token one sign-in, so it is exchanged once: its nonce, and the
    # SHA-256 of its signed part (header and claims: a re-encoded signature, which
    # ECDSA allows, is the same token). Until ``expires_at`` (its ``exp`` plus the
    # leeway) it verifies.
    nonce: str
    signed_digest: str
    expires_at: float


@dataclass
class _IssuerKeys:
    jwks_uri: str | None = None
    keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    fetched_at: float = float("-inf")
    attempted_at: float = float("-inf")


def _signed_digest(id_token: str) -> str:
    signed, _, _signature = id_token.rpartition(".")
    return hashlib.sha256(signed.encode()).hexdigest()


def _truthy(value: object) -> bool:
    # Apple sends email_verified as the string "true".
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _optional_text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


class OidcVerifier:
    def __init__(
        self,
        issuers: Sequence[IssuerConfig],
        http: httpx.Client,
        *,
        leeway_seconds: int = 60,
        jwks_ttl_seconds: float = 3600.0,
        min_refetch_seconds: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._issuers = {}
        for config in issuers:
            for accepted in config.accepted_issuers:
                self._issuers[accepted] = config
        self._http = http
        self._leeway = leeway_seconds
        self._jwks_ttl = jwks_ttl_seconds
        self._min_refetch = min_refetch_seconds
        self._clock = clock
        self._cache: dict[str, _IssuerKeys] = {}
        self._lock = threading.Lock()

    @property
    def issuers(self) -> list[IssuerConfig]:
        return list(dict.fromkeys(self._issuers.values()))

    def verify(self, id_token: str, nonce: str) -> VerifiedIdToken:
        try:
            header = jwt.get_unverified_header(id_token)
            unverified = jwt.decode(id_token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise IdTokenError("The ID token is malformed.") from None
        algorithm = header.get("alg")
        if algorithm not in ALLOWED_ALGORITHMS:
            raise IdTokenError(f"The ID token's algorithm {algorithm!r} is refused.")
        config = self._issuers.get(str(unverified.get("iss")))
        if config is None:
            raise IdTokenError("The ID token's issuer is not accepted here.")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise IdTokenError("The ID token has no key id.")
        jwk = self._key(config, kid)
        if jwk is None:
            raise IdTokenError("The ID token's key id is unknown to its issuer.")
        try:
            key = jwt.PyJWK(jwk, algorithm=str(algorithm))
        except jwt.PyJWTError:
            raise IdTokenError(
                "The ID token's key does not fit its algorithm."
            ) from None
        claims = self._decode(id_token, key, str(algorithm), config)
        self._check_nonce(claims, nonce)
        self._check_authorized_party(claims, config)
        return VerifiedIdToken(
            issuer=config.issuer,
            subject=str(claims["sub"]),
            email=_optional_text(claims.get("email")),
            email_verified=_truthy(claims.get("email_verified")),
            given_name=_optional_text(claims.get("given_name")),
            family_name=_optional_text(claims.get("family_name")),
            nonce=nonce,
            signed_digest=_signed_digest(id_token),
            expires_at=float(claims["exp"]) + self._leeway,
        )

    def _decode(
        self, id_token: str, key: jwt.PyJWK, algorithm: str, config: IssuerConfig
    ) -> dict[str, Any]:
        if key.algorithm_name != algorithm:
            raise IdTokenError("The ID token's key does not fit its algorithm.")
        try:
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key.key,
                algorithms=[algorithm],
                audience=list(config.client_ids),
                issuer=list(config.accepted_issuers),
                leeway=self._leeway,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise IdTokenError("The ID token has expired.") from None
        except jwt.ImmatureSignatureError:
            raise IdTokenError("The ID token is not valid yet.") from None
        except jwt.InvalidAudienceError:
            raise IdTokenError("The ID token was issued for another client.") from None
        except jwt.InvalidIssuerError:
            raise IdTokenError("The ID token's issuer is not accepted here.") from None
        except jwt.InvalidSignatureError:
            raise IdTokenError("The ID token's signature does not verify.") from None
        except jwt.PyJWTError:
            raise IdTokenError("The ID token is not valid.") from None
        issued_at = claims["iat"]
        if not isinstance(issued_at, int | float):
            raise IdTokenError("The ID token is not valid.")
        if issued_at > self._clock() + self._leeway:
            raise IdTokenError("The ID token is not valid yet.")
        return claims

    @staticmethod
    def _check_nonce(claims: dict[str, Any], nonce: str) -> None:
        claimed = claims.get("nonce")
        if not isinstance(claimed, str) or not hmac.compare_digest(
            claimed.encode(), nonce.encode()
        ):
            raise IdTokenError("The ID token's nonce does not match.")

    @staticmethod
    def _check_authorized_party(claims: dict[str, Any], config: IssuerConfig) -> None:
        audience = claims.get("aud")
        several = isinstance(audience, list) and len(audience) > 1
        if several and claims.get("azp") not in config.client_ids:
            raise IdTokenError("The ID token was issued for another client.")

    # -- Keys ------------------------------------------------------------------------

    def _key(self, config: IssuerConfig, kid: str) -> dict[str, Any] | None:
        with self._lock:
            cached = self._cache.setdefault(config.issuer, _IssuerKeys())
            now = self._clock()
            stale = now - cached.fetched_at >= self._jwks_ttl
            if (stale or kid not in cached.keys) and (
                now - cached.attempted_at >= self._min_refetch
            ):
                cached.attempted_at = now
                try:
                    self._refresh(config, cached)
                except IssuerUnavailableError:
                    if not cached.keys:
                        cached.attempted_at = float("-inf")  # nothing to fall back on
                        raise
                    # Keep verifying with the keys we have until the provider is back.
            return cached.keys.get(kid)

    def _refresh(self, config: IssuerConfig, cached: _IssuerKeys) -> None:
        try:
            if cached.jwks_uri is None:
                discovery = self._get_json(config.discovery)
                if discovery.get("issuer") not in config.accepted_issuers:
                    raise IssuerUnavailableError(
                        f"{config.name}: discovery names another issuer"
                    )
                jwks_uri = discovery.get("jwks_uri")
                if not isinstance(jwks_uri, str):
                    raise IssuerUnavailableError(f"{config.name}: no jwks_uri")
                cached.jwks_uri = jwks_uri
            jwks = self._get_json(cached.jwks_uri)
        except (httpx.HTTPError, ValueError) as error:
            raise IssuerUnavailableError(
                f"{config.name}: {type(error).__name__}"
            ) from error
        keys = jwks.get("keys")
        cached.keys = {
            str(k["kid"]): k
            for k in (keys if isinstance(keys, list) else [])
            if isinstance(k, dict) and "kid" in k
        }
        cached.fetched_at = self._clock()

    def _get_json(self, url: str) -> dict[str, Any]:
        response = self._http.get(url)
        response.raise_for_status()
        body = response.json()
        if not isinstance(body, dict):
            raise ValueError("expected a JSON object")
        return body
