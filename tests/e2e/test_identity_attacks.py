"""Attacks on identity over HTTP: forged access tokens and forged ID tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from typing import Any
from uuid import uuid4

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient

from adapters.bootstrap import Container
from adapters.http.app import create_app
from adapters.identity.tokens import PLATFORM_AUDIENCE
from adapters.oidc.dev_issuer import DevelopmentIssuer
from adapters.settings import Settings
from tests.support.identity import (
    SignedIn,
    assert_problem,
    dev_id_token,
    exchange_at_once,
    sign_in,
)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    # One app for the module: every test signs in users of its own.
    with TestClient(create_app(Settings(event_store="popo"))) as test_client:
        yield test_client


def container(client: TestClient) -> Container:
    built: Container = client.app.state.container  # type: ignore[attr-defined]
    return built


def issuer(client: TestClient) -> DevelopmentIssuer:
    dev = container(client).identity.dev_issuer
    assert dev is not None
    return dev


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hs256_with(key_pem: bytes, claims: dict[str, Any], kid: str) -> str:
    header = _b64(json.dumps({"alg": "HS256", "kid": kid, "typ": "JWT"}).encode())
    payload = _b64(json.dumps(claims).encode())
    signature = hmac.new(key_pem, f"{header}.{payload}".encode(), hashlib.sha256)
    return f"{header}.{payload}.{_b64(signature.digest())}"


def _alg_none(claims: dict[str, Any], kid: str) -> str:
    header = _b64(json.dumps({"alg": "none", "kid": kid}).encode())
    return f"{header}.{_b64(json.dumps(claims).encode())}."


def _tamper(token: str, **changes: Any) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims.update(changes)
    return f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"


def _public_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


# --- Attacks on the platform's access token ---------------------------------------


def _access_claims(client: TestClient, user_id: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": container(client).settings.public_base_url,
        "aud": PLATFORM_AUDIENCE,
        "sub": user_id,
        "roles": ["ADMIN"],
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }
    claims.update(changes)
    return claims


def _platform_sign(client: TestClient, claims: dict[str, Any], **headers: Any) -> str:
    key = container(client).identity.signing_keys.current()
    return jwt.encode(
        claims, key.private_key, algorithm="ES256", headers={"kid": key.kid, **headers}
    )


AccessAttack = Callable[[TestClient, SignedIn], str]

ACCESS_ATTACKS: dict[str, AccessAttack] = {
    "expired": lambda c, u: _platform_sign(
        c, _access_claims(c, u.user_id, exp=int(time.time()) - 300)
    ),
    "not yet valid": lambda c, u: _platform_sign(
        c,
        _access_claims(
            c, u.user_id, nbf=int(time.time()) + 600, iat=int(time.time()) + 600
        ),
    ),
    "wrong audience": lambda c, u: _platform_sign(
        c, _access_claims(c, u.user_id, aud="another-api")
    ),
    "wrong issuer": lambda c, u: _platform_sign(
        c, _access_claims(c, u.user_id, iss="https://evil.example")
    ),
    "tampered": lambda _c, u: _tamper(u.access_token, roles=["ADMIN"]),
    "alg none": lambda c, u: _alg_none(
        _access_claims(c, u.user_id),
        container(c).identity.signing_keys.current().kid,
    ),
    "HS256 signed with the public key": lambda c, u: _hs256_with(
        _public_pem(container(c).identity.signing_keys.current().private_key),
        _access_claims(c, u.user_id),
        container(c).identity.signing_keys.current().kid,
    ),
    "unknown key id": lambda c, u: jwt.encode(
        _access_claims(c, u.user_id),
        ec.generate_private_key(ec.SECP256R1()),
        algorithm="ES256",
        headers={"kid": "not-ours"},
    ),
    "signed by a stranger with our key id": lambda c, u: jwt.encode(
        _access_claims(c, u.user_id),
        ec.generate_private_key(ec.SECP256R1()),
        algorithm="ES256",
        headers={"kid": container(c).identity.signing_keys.current().kid},
    ),
    "garbage": lambda _c, _u: "not-a-token",
}


@pytest.mark.parametrize("attack", sorted(ACCESS_ATTACKS))
def test_access_token_attacks_get_401_problem(client: TestClient, attack: str) -> None:
    victim = sign_in(client)
    token = ACCESS_ATTACKS[attack](client, victim)
    response = client.get("/me", headers={"Authorization": f"Bearer {token}"})
    problem = assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert problem["title"] == "Unauthorized"


def test_no_token_gets_401_problem(client: TestClient) -> None:
    response = client.get("/me")
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


# --- Attacks on sign-in (the provider's ID token) ---------------------------------


def _id_claims(dev: DevelopmentIssuer, nonce: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": dev.issuer,
        "aud": dev.client_id,
        "sub": uuid4().hex,
        "iat": now,
        "exp": now + 300,
        "nonce": nonce,
        "email": f"{uuid4().hex[:8]}@example.org",
        "email_verified": True,
    }
    claims.update(changes)
    return claims


IdAttack = Callable[[DevelopmentIssuer, str], str]

ID_TOKEN_ATTACKS: dict[str, IdAttack] = {
    "expired": lambda d, n: d.sign(
        _id_claims(d, n, exp=int(time.time()) - 300, iat=int(time.time()) - 900)
    ),
    "not yet valid": lambda d, n: d.sign(_id_claims(d, n, iat=int(time.time()) + 600)),
    "wrong audience": lambda d, n: d.sign(_id_claims(d, n, aud="someone-else")),
    "wrong issuer": lambda d, n: d.sign(_id_claims(d, n, iss="https://evil.example")),
    "tampered": lambda d, n: _tamper(d.sign(_id_claims(d, n)), sub="victim"),
    "alg none": lambda d, n: _alg_none(_id_claims(d, n), d.kid),
    "HS256 signed with the public key": lambda d, n: _hs256_with(
        _public_pem(d._key), _id_claims(d, n), d.kid
    ),
    "unknown key id": lambda d, n: d.sign(_id_claims(d, n), {"kid": "unknown"}),
    "wrong nonce": lambda d, _n: d.sign(_id_claims(d, "another-nonce-value")),
}


@pytest.mark.parametrize("attack", sorted(ID_TOKEN_ATTACKS))
def test_id_token_attacks_get_401_problem(client: TestClient, attack: str) -> None:
    nonce = uuid4().hex
    token = ID_TOKEN_ATTACKS[attack](issuer(client), nonce)
    response = client.post("/auth/sign-in", json={"id_token": token, "nonce": nonce})
    assert_problem(response, 401)


# --- Replaying an ID token at sign-in ----------------------------------------------

# The order of the P-256 group: (r, s) and (r, n - s) are both valid ECDSA signatures.
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _other_signature(token: str) -> str:
    """The same ES256 token with the other valid signature, (r, n - s)."""
    header, payload, signature = token.split(".")
    raw = base64.urlsafe_b64decode(signature + "==")
    r, s = raw[:32], int.from_bytes(raw[32:], "big")
    flipped = r + (P256_ORDER - s).to_bytes(32, "big")
    assert flipped != raw
    return f"{header}.{payload}.{_b64(flipped)}"


def _exchange(client: TestClient, token: str, nonce: str) -> Any:
    return client.post("/auth/sign-in", json={"id_token": token, "nonce": nonce})


def _refused_as_spent(response: Any) -> None:
    problem = assert_problem(response, 401)
    assert "already been exchanged" in problem["detail"]
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_an_id_token_and_nonce_are_exchanged_once(client: TestClient) -> None:
    nonce = uuid4().hex
    token = dev_id_token(client, f"{uuid4().hex[:8]}@example.org", nonce)
    first = _exchange(client, token, nonce)
    assert first.status_code == 200, first.text

    # Check a replay within the token's life is refused, and so is its
    # twin with the other valid ECDSA signature.
    _refused_as_spent(_exchange(client, token, nonce))
    _refused_as_spent(_exchange(client, _other_signature(token), nonce))
    # Check the first session is untouched.
    me = client.get(
        "/me", headers={"Authorization": f"Bearer {first.json()['access_token']}"}
    )
    assert me.status_code == 200, me.text


def test_a_new_id_token_for_a_nonce_already_used_is_refused(client: TestClient) -> None:
    nonce = uuid4().hex
    email = f"{uuid4().hex[:8]}@example.org"
    first = dev_id_token(client, email, nonce, given_name="Ada")
    assert _exchange(client, first, nonce).status_code == 200
    again = dev_id_token(client, email, nonce, given_name="Adah")
    _refused_as_spent(_exchange(client, again, nonce))
    # Check a fresh nonce signs the same person in again.
    fresh = uuid4().hex
    assert (
        _exchange(client, dev_id_token(client, email, fresh), fresh).status_code == 200
    )


def test_a_refused_id_token_is_not_spent(client: TestClient) -> None:
    # A token refused for its nonce is not recorded: the right nonce still works.
    nonce = uuid4().hex
    token = dev_id_token(client, f"{uuid4().hex[:8]}@example.org", nonce)
    assert_problem(_exchange(client, token, "not-the-nonce"), 401)
    assert _exchange(client, token, nonce).status_code == 200


def test_simultaneous_exchanges_of_one_id_token_let_exactly_one_in(
    client: TestClient,
) -> None:
    nonce = uuid4().hex
    token = dev_id_token(client, f"{uuid4().hex[:8]}@example.org", nonce)
    statuses = exchange_at_once(client, token, nonce, runners=6)
    assert sorted(statuses) == [200] + [401] * 5
