"""A development OpenID provider built into the service (never in production).

It serves discovery, a JWKS and a token endpoint that signs an ID token for whatever
email, name and nonce it is given, so the real verification path runs offline: the
service fetches this issuer's discovery and keys like any other provider's. Inside
the process those fetches are routed here directly (``RoutingTransport``), so no
socket is needed and tests need no running server.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Sequence
from typing import Any
from uuid import NAMESPACE_URL, uuid4, uuid5

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from adapters.oidc.verifier import IssuerConfig

DEV_CLIENT_ID = "spotlight-dev"
DEV_ISSUER_PATH = "/dev-issuer"
ID_TOKEN_TTL_SECONDS = 600


# The order of P-256's group: a private key is an integer in [1, order).
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _derived_key(secret: bytes) -> ec.EllipticCurvePrivateKey:
    """The same P-256 key from the same secret, in every process."""
    digest = hmac.new(secret, b"spotlight development issuer", "sha256").digest()
    scalar = int.from_bytes(digest, "big") % (_P256_ORDER - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def _key_id(key: ec.EllipticCurvePrivateKey) -> str:
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return hashlib.sha256(public).hexdigest()[:16]


class DevelopmentIssuer:
    def __init__(
        self,
        issuer_url: str,
        client_id: str = DEV_CLIENT_ID,
        clock: Callable[[], float] = time.time,
        *,
        secret: bytes | None = None,
    ) -> None:
        self.issuer = issuer_url.rstrip("/")
        self.client_id = client_id
        self._clock = clock
        # Given the deployment's secret, one key for all its processes, so a token
        # one worker of `spotlight serve --workers N` signed verifies in another;
        # without, a fresh key per process. Its tokens live minutes either way.
        if secret is None:
            self._key = ec.generate_private_key(ec.SECP256R1())
            self.kid = uuid4().hex[:16]
        else:
            self._key = _derived_key(secret)
            self.kid = _key_id(self._key)

    @property
    def config(self) -> IssuerConfig:
        return IssuerConfig(
            name="development", issuer=self.issuer, client_ids=(self.client_id,)
        )

    @property
    def jwks_uri(self) -> str:
        return f"{self.issuer}/jwks"

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "jwks_uri": self.jwks_uri,
            "token_endpoint": f"{self.issuer}/token",
            "id_token_signing_alg_values_supported": ["ES256"],
            "subject_types_supported": ["public"],
            "response_types_supported": ["id_token"],
        }

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(ECAlgorithm.to_jwk(self._key.public_key()))
        jwk.update(kid=self.kid, use="sig", alg="ES256")
        return {"keys": [jwk]}

    @staticmethod
    def subject_for(email: str) -> str:
        """The same email always signs in as the same development account."""
        return uuid5(NAMESPACE_URL, f"dev-issuer:{email.strip().casefold()}").hex

    def issue_id_token(
        self,
        *,
        email: str,
        nonce: str,
        given_name: str | None = None,
        family_name: str | None = None,
        email_verified: bool = True,
        subject: str | None = None,
    ) -> str:
        now = int(self._clock())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": subject or self.subject_for(email),
            "iat": now,
            "exp": now + ID_TOKEN_TTL_SECONDS,
            "nonce": nonce,
            "email": email,
            "email_verified": email_verified,
        }
        if given_name:
            claims["given_name"] = given_name
        if family_name:
            claims["family_name"] = family_name
        return jwt.encode(
            claims, self._key, algorithm="ES256", headers={"kid": self.kid}
        )

    def sign(
        self, claims: dict[str, Any], headers: dict[str, Any] | None = None
    ) -> str:
        """Sign any claims with this issuer's key (tests forge bad tokens with it)."""
        return jwt.encode(
            claims,
            self._key,
            algorithm="ES256",
            headers={"kid": self.kid, **(headers or {})},
        )

    def handle(self, request: httpx.Request) -> httpx.Response | None:
        """Answer discovery and JWKS fetches made inside the process."""
        url = str(request.url).split("?", 1)[0]
        if url == f"{self.issuer}/.well-known/openid-configuration":
            return httpx.Response(200, json=self.discovery())
        if url == self.jwks_uri:
            return httpx.Response(200, json=self.jwks())
        return None


class RoutingTransport(httpx.BaseTransport):
    """Sends in-process issuers' URLs to them and everything else to the network."""

    def __init__(
        self,
        local: Sequence[Callable[[httpx.Request], httpx.Response | None]],
        network: httpx.BaseTransport | None = None,
    ) -> None:
        self._local = local
        self._network = network or httpx.HTTPTransport(retries=1)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for handler in self._local:
            response = handler(request)
            if response is not None:
                return response
        return self._network.handle_request(request)

    def close(self) -> None:
        self._network.close()
