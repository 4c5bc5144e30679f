"""A verified access token is remembered until it expires; revocation still applies
on the next request, because the user is read on every request.

What revokes a valid access token here: the user disabled, erased, or a role
revoked (the user cache says so; the token's own roles are never trusted).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from adapters.bootstrap import Container, build_container
from adapters.http.app import create_app
from adapters.identity.tokens import AccessTokens
from adapters.identity.verified_tokens import VerifiedTokens
from adapters.settings import Settings
from tests.support.identity import (
    SignedIn,
    assert_problem,
    sign_in,
    signed_in_admin,
)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(event_store="popo"))) as test_client:
        yield test_client


def container(client: TestClient) -> Container:
    built: Container = client.app.state.container  # type: ignore[attr-defined]
    return built


def settled(client: TestClient, root: SignedIn, user_id: str, token: str) -> None:
    """Until the views have ``token`` (the admin's read of the user)."""
    seen = client.get(
        f"/users/{user_id}", headers=root.headers, params={"after": token}
    )
    assert seen.status_code in (200, 404), seen.text


def remembered_once_more(client: TestClient, who: SignedIn) -> int:
    """Answers the status of ``GET /me``, checking its token was not verified
    again but found among the remembered ones."""
    tokens = container(client).identity.verified_tokens
    checked, remembered = tokens.verified, tokens.remembered
    status: int = client.get("/me", headers=who.headers).status_code
    assert (tokens.verified, tokens.remembered) == (checked, remembered + 1)
    return status


def test_a_disabled_user_is_refused_on_the_next_request(client: TestClient) -> None:
    root = signed_in_admin(client)
    ada = sign_in(client)
    assert client.get("/me", headers=ada.headers).status_code == 200
    assert remembered_once_more(client, ada) == 200

    disabled = client.post(
        f"/users/{ada.user_id}/disable", headers=root.headers, json={"reason": "x"}
    )
    assert disabled.status_code == 200, disabled.text
    settled(client, root, ada.user_id, disabled.json()["consistency_token"])
    # Check the remembered token lets nobody in: the user's state is read again.
    assert remembered_once_more(client, ada) == 401
    refused = assert_problem(client.get("/me", headers=ada.headers), 401)
    assert refused["detail"] == "The account is disabled."

    enabled = client.post(f"/users/{ada.user_id}/enable", headers=root.headers)
    settled(client, root, ada.user_id, enabled.json()["consistency_token"])
    assert remembered_once_more(client, ada) == 200


def test_an_erased_user_is_refused_on_the_next_request(client: TestClient) -> None:
    root = signed_in_admin(client)
    ada = sign_in(client)
    assert client.get("/me", headers=ada.headers).status_code == 200

    erased = client.delete("/me", headers=ada.headers)
    assert erased.status_code == 200, erased.text
    settled(client, root, ada.user_id, erased.json()["consistency_token"])
    assert remembered_once_more(client, ada) == 401
    refused = assert_problem(client.get("/me", headers=ada.headers), 401)
    assert refused["detail"] == "The account no longer exists."


def test_a_revoked_role_is_refused_on_the_next_request(client: TestClient) -> None:
    root = signed_in_admin(client)
    bob = sign_in(client)  # his token names no role, and stays the same
    granted = client.put(f"/users/{bob.user_id}/roles/ADMIN", headers=root.headers)
    settled(client, root, bob.user_id, granted.json()["consistency_token"])
    assert client.get("/users", headers=bob.headers).status_code == 200

    revoked = client.delete(f"/users/{bob.user_id}/roles/ADMIN", headers=root.headers)
    assert revoked.status_code == 200, revoked.text
    settled(client, root, bob.user_id, revoked.json()["consistency_token"])
    assert_problem(client.get("/users", headers=bob.headers), 403)
    assert remembered_once_more(client, bob) == 200


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_an_expired_token_is_refused_though_it_was_remembered() -> None:
    settings = Settings(event_store="popo")
    built = build_container(settings)
    clock = Clock()
    identity = built.identity
    identity.access_tokens = AccessTokens(
        identity.signing_keys,
        issuer=settings.public_base_url.rstrip("/"),
        ttl_seconds=settings.access_token_ttl_seconds,
        leeway_seconds=30,
        clock=clock,
    )
    identity.verified_tokens = VerifiedTokens(identity.access_tokens, clock=clock)
    with TestClient(create_app(container=built)) as lasting:
        ada = sign_in(lasting)
        assert lasting.get("/me", headers=ada.headers).status_code == 200
        assert remembered_once_more(lasting, ada) == 200

        clock.now += settings.access_token_ttl_seconds + 31
        refused = assert_problem(lasting.get("/me", headers=ada.headers), 401)
        assert refused["detail"] == "The access token has expired."
        assert len(identity.verified_tokens) == 0
    built.close()
