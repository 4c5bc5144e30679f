"""ID-token verification against a fake RS256 provider served by a mock transport."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import RSAAlgorithm

from adapters.oidc.verifier import (
    IdTokenError,
    IssuerConfig,
    IssuerUnavailableError,
    OidcVerifier,
)

ISSUER = "https://id.example.test"
CLIENT = "spotlight-client"
NONCE = "nonce-0123456789"


class FakeProvider:
    """Discovery and a JWKS whose keys can rotate; counts the fetches."""

    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {"k1": _rsa()}
        self.fetches = 0
        self.up = True

    def handler(self, request: httpx.Request) -> httpx.Response:
        if not self.up:
            return httpx.Response(503)
        self.fetches += 1
        if request.url.path == "/.well-known/openid-configuration":
            return httpx.Response(
                200, json={"issuer": ISSUER, "jwks_uri": f"{ISSUER}/keys"}
            )
        if request.url.path == "/keys":
            keys = []
            for kid, key in self.keys.items():
                jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
                jwk.update(kid=kid, alg="RS256", use="sig")
                keys.append(jwk)
            return httpx.Response(200, json={"keys": keys})
        return httpx.Response(404)

    def token(
        self,
        kid: str = "k1",
        headers: dict[str, Any] | None = None,
        **overrides: Any,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": CLIENT,
            "sub": "subject-1",
            "iat": now,
            "exp": now + 300,
            "nonce": NONCE,
            "email": "ada@example.org",
            "email_verified": "true",
            "given_name": "Ada",
        }
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(
            claims,
            self.keys[kid],
            algorithm="RS256",
            headers={"kid": kid, **(headers or {})},
        )


def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture
def provider() -> FakeProvider:
    return FakeProvider()


@pytest.fixture
def verifier(provider: FakeProvider) -> OidcVerifier:
    client = httpx.Client(transport=httpx.MockTransport(provider.handler))
    return OidcVerifier(
        [IssuerConfig(name="example", issuer=ISSUER, client_ids=(CLIENT,))],
        client,
        leeway_seconds=60,
        min_refetch_seconds=0,
    )


def test_a_good_token_gives_the_identity(
    verifier: OidcVerifier, provider: FakeProvider
) -> None:
    verified = verifier.verify(provider.token(), NONCE)
    assert verified.issuer == ISSUER
    assert verified.subject == "subject-1"
    assert verified.email == "ada@example.org"
    assert verified.email_verified is True  # Apple-style string "true"
    assert verified.given_name == "Ada"


def test_a_verified_token_carries_what_makes_it_one_sign_in(
    verifier: OidcVerifier, provider: FakeProvider
) -> None:
    exp = int(time.time()) + 300
    token = provider.token(exp=exp)
    verified = verifier.verify(token, NONCE)
    assert verified.nonce == NONCE
    assert verified.expires_at == exp + 60  # the leeway: it verifies until then
    signed = token.rpartition(".")[0]
    assert verified.signed_digest == hashlib.sha256(signed.encode()).hexdigest()
    other = verifier.verify(provider.token(exp=exp, given_name="Adah"), NONCE)
    assert other.signed_digest != verified.signed_digest


def test_keys_are_cached_and_refetched_for_an_unknown_key_id(
    verifier: OidcVerifier, provider: FakeProvider
) -> None:
    verifier.verify(provider.token(), NONCE)
    verifier.verify(provider.token(), NONCE)
    # Check discovery and JWKS were fetched once for both tokens.
    assert provider.fetches == 2

    # Check a key the provider rotated in is found by one more JWKS fetch.
    provider.keys["k2"] = _rsa()
    verifier.verify(provider.token(kid="k2"), NONCE)
    assert provider.fetches == 3


def test_unknown_key_ids_do_not_hammer_the_provider(provider: FakeProvider) -> None:
    client = httpx.Client(transport=httpx.MockTransport(provider.handler))
    verifier = OidcVerifier(
        [IssuerConfig(name="example", issuer=ISSUER, client_ids=(CLIENT,))],
        client,
        min_refetch_seconds=30,
    )
    verifier.verify(provider.token(), NONCE)
    provider.keys["forged"] = _rsa()
    for _ in range(5):
        with pytest.raises(IdTokenError, match="key id is unknown"):
            verifier.verify(provider.token(kid="forged"), NONCE)
    assert provider.fetches == 2


def test_provider_down_before_any_key_is_known(provider: FakeProvider) -> None:
    provider.up = False
    client = httpx.Client(transport=httpx.MockTransport(provider.handler))
    verifier = OidcVerifier(
        [IssuerConfig(name="example", issuer=ISSUER, client_ids=(CLIENT,))], client
    )
    with pytest.raises(IssuerUnavailableError):
        verifier.verify(provider.token(), NONCE)


def _none_token(provider: FakeProvider) -> str:
    good = provider.token()
    header = _b64(json.dumps({"alg": "none", "kid": "k1"}).encode())
    payload = good.split(".")[1]
    return f"{header}.{payload}."


def _hs256_with_public_key(provider: FakeProvider) -> str:
    public_pem = (
        provider.keys["k1"]
        .public_key()
        .public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
    )
    header = _b64(json.dumps({"alg": "HS256", "kid": "k1", "typ": "JWT"}).encode())
    payload = provider.token().split(".")[1]
    signature = hmac.new(
        public_pem, f"{header}.{payload}".encode(), hashlib.sha256
    ).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def _tampered(provider: FakeProvider) -> str:
    header, payload, signature = provider.token().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "someone-else"
    forged = _b64(json.dumps(claims).encode())
    return f"{header}.{forged}.{signature}"


def _signed_by_a_stranger(provider: FakeProvider) -> str:
    stranger = FakeProvider()
    return stranger.token()  # same kid "k1", another key


def _es256_key_for_rs256_jwk(provider: FakeProvider) -> str:
    # An ES256 token naming the provider's RSA key: the key does not fit the alg.
    key = ec.generate_private_key(ec.SECP256R1())
    now = int(time.time())
    return jwt.encode(
        {"iss": ISSUER, "aud": CLIENT, "sub": "s", "iat": now, "exp": now + 60},
        key,
        algorithm="ES256",
        headers={"kid": "k1"},
    )


ATTACKS: dict[str, Callable[[FakeProvider], str]] = {
    "expired": lambda p: p.token(
        exp=int(time.time()) - 120, iat=int(time.time()) - 900
    ),
    "not yet valid": lambda p: p.token(iat=int(time.time()) + 600),
    "not before": lambda p: p.token(nbf=int(time.time()) + 600),
    "wrong audience": lambda p: p.token(aud="another-client"),
    "wrong issuer": lambda p: p.token(iss="https://evil.example.test"),
    "tampered": _tampered,
    "signed by a stranger": _signed_by_a_stranger,
    "alg none": _none_token,
    "HS256 signed with the public key": _hs256_with_public_key,
    "unknown key id": lambda p: p.token(headers={"kid": "nope"}),
    "wrong nonce": lambda p: p.token(nonce="another-nonce-123"),
    "no nonce": lambda p: p.token(nonce=None),
    "no expiry": lambda p: p.token(exp=None),
    "ES256 token for an RSA key": _es256_key_for_rs256_jwk,
    "garbage": lambda _provider: "not.a.jwt",
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_each_attack_is_refused(
    attack: str, verifier: OidcVerifier, provider: FakeProvider
) -> None:
    token = ATTACKS[attack](provider)
    with pytest.raises(IdTokenError):
        verifier.verify(token, NONCE)


def test_within_the_leeway_a_just_expired_token_passes(
    verifier: OidcVerifier, provider: FakeProvider
) -> None:
    now = int(time.time())
    verifier.verify(provider.token(exp=now - 30, iat=now - 330), NONCE)


def test_several_audiences_need_our_client_as_authorized_party(
    verifier: OidcVerifier, provider: FakeProvider
) -> None:
    token = provider.token(aud=[CLIENT, "other"], azp="other")
    with pytest.raises(IdTokenError, match="another client"):
        verifier.verify(token, NONCE)
    verifier.verify(provider.token(aud=[CLIENT, "other"], azp=CLIENT), NONCE)
