"""The development issuer's key: one per deployment when given its secret, so every
worker process of ``spotlight serve --workers N`` verifies what another signed."""

from __future__ import annotations

import jwt
import pytest

from adapters.oidc.dev_issuer import DevelopmentIssuer

URL = "http://127.0.0.1:8000/dev-issuer"


def verified_by(verifier: DevelopmentIssuer, token: str) -> bool:
    """Whether the key in ``verifier``'s JWKS verifies its signature."""
    [jwk] = verifier.jwks()["keys"]
    key = jwt.PyJWK(jwk).key
    try:
        jwt.decode(token, key, algorithms=["ES256"], audience=verifier.client_id)
    except jwt.InvalidTokenError:
        return False
    return True


def test_processes_given_one_secret_verify_each_others_tokens() -> None:
    first = DevelopmentIssuer(URL, secret=b"the deployment's secret")
    second = DevelopmentIssuer(URL, secret=b"the deployment's secret")
    token = first.issue_id_token(email="ada@example.org", nonce="n")

    assert second.kid == first.kid
    assert verified_by(second, token)


@pytest.mark.parametrize("secret", [b"another deployment's secret", None])
def test_another_secret_or_none_is_another_key(secret: bytes | None) -> None:
    ours = DevelopmentIssuer(URL, secret=b"the deployment's secret")
    theirs = DevelopmentIssuer(URL, secret=secret)
    token = theirs.issue_id_token(email="ada@example.org", nonce="n")

    assert theirs.kid != ours.kid
    assert not verified_by(ours, token)
    assert verified_by(theirs, token)
