"""Identity over HTTP on the embedded stores: sign-in, profile, roles, every door.

Attacks on the tokens are in ``test_identity_attacks``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import jwt
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from adapters.bootstrap import Container, build_container
from adapters.http.app import create_app
from adapters.identity.tokens import PLATFORM_AUDIENCE
from adapters.settings import Settings
from commands.base import Actor
from commands.identity.application import IdentityApplication
from commands.identity.messages import BootstrapAdmin, EraseUser, RevokeRole
from domain.identity.values import Role
from tests.support.identity import SignedIn, assert_problem, dev_id_token, sign_in


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    # One app for the module: every test signs in users of its own.
    with TestClient(create_app(Settings(event_store="popo"))) as test_client:
        yield test_client


def container(client: TestClient) -> Container:
    built: Container = client.app.state.container  # type: ignore[attr-defined]
    return built


def admin(client: TestClient) -> SignedIn:
    email = f"admin-{uuid4().hex[:8]}@example.org"
    container(client).dispatcher.dispatch(
        BootstrapAdmin(actor=Actor.system("test"), email=email)
    )
    return sign_in(client, email)


def me(client: TestClient, who: SignedIn, after: str | None = None) -> Any:
    params = {"after": after} if after else {}
    return client.get("/me", headers=who.headers, params=params)


# --- The happy path --------------------------------------------------------------


def test_sign_in_then_read_and_update_my_profile(client: TestClient) -> None:
    ada = sign_in(client, "ada@example.org", roles=("CANDIDATE",), given_name="Ada")
    assert ada.body["new_user"] is True
    assert ada.body["roles"] == ["CANDIDATE"]

    response = me(client, ada)
    assert response.status_code == 200, response.text
    assert response.json()["email"] == "ada@example.org"
    assert response.json()["first_name"] == "Ada"

    patch = client.patch(
        "/me",
        headers=ada.headers,
        json={
            "phone": "+14155550100",
            "date_of_birth": "1990-05-17",
            "gender": "prefer_not_to_say",
            "address": {"line1": "1 Main St", "city": "Springfield", "country": "US"},
        },
    )
    assert patch.status_code == 200, patch.text
    body = me(client, ada, patch.json()["consistency_token"]).json()
    assert body["phone"] == "+14155550100"
    assert body["gender"] == "prefer_not_to_say"
    assert body["address"]["city"] == "Springfield"
    assert body["first_name"] == "Ada"

    # Check signing in again is the same user, not a new one.
    again = sign_in(client, "ada@example.org")
    assert again.user_id == ada.user_id
    assert again.body["new_user"] is False


def test_jwks_publishes_the_key_that_signs_access_tokens(client: TestClient) -> None:
    ada = sign_in(client)
    kid = jwt.get_unverified_header(ada.access_token)["kid"]
    jwks = client.get("/.well-known/jwks.json").json()
    key = next(k for k in jwks["keys"] if k["kid"] == kid)
    public = jwt.PyJWK(key).key
    claims = jwt.decode(
        ada.access_token, public, algorithms=["ES256"], audience=PLATFORM_AUDIENCE
    )
    assert claims["sub"] == ada.user_id
    assert "d" not in key  # never the private part


def test_refresh_rotates_and_sign_out_revokes(client: TestClient) -> None:
    ada = sign_in(client)
    refreshed = client.post("/auth/refresh", json={"refresh_token": ada.refresh_token})
    assert refreshed.status_code == 200, refreshed.text
    successor = refreshed.json()["refresh_token"]

    # Check the spent token is refused, and its reuse revoked the successor too.
    assert_problem(
        client.post("/auth/refresh", json={"refresh_token": ada.refresh_token}), 401
    )
    assert_problem(client.post("/auth/refresh", json={"refresh_token": successor}), 401)

    # Check sign-out revokes that sign-in's refresh token.
    bob = sign_in(client)
    out = client.post("/auth/sign-out", json={"refresh_token": bob.refresh_token})
    assert out.status_code == 204
    assert_problem(
        client.post("/auth/refresh", json={"refresh_token": bob.refresh_token}), 401
    )


# --- Roles and admin ---------------------------------------------------------------


def test_role_escalation_by_a_non_admin_is_forbidden(client: TestClient) -> None:
    eve = sign_in(client, roles=("CANDIDATE",))
    assert_problem(
        client.put(f"/users/{eve.user_id}/roles/ADMIN", headers=eve.headers), 403
    )
    assert_problem(client.put("/me/roles/ADMIN", headers=eve.headers), 403)
    assert_problem(
        client.post(
            f"/users/{eve.user_id}/disable", headers=eve.headers, json={"reason": "x"}
        ),
        403,
    )
    # Check sign-up cannot pick an admin-granted role either.
    nonce = uuid4().hex
    token = dev_id_token(client, f"{uuid4().hex[:8]}@example.org", nonce)
    response = client.post(
        "/auth/sign-in", json={"id_token": token, "nonce": nonce, "roles": ["ADMIN"]}
    )
    assert_problem(response, 403)


def test_admin_grants_revokes_and_disables(client: TestClient) -> None:
    root = admin(client)
    ada = sign_in(client, roles=("CANDIDATE",))

    granted = client.put(
        f"/users/{ada.user_id}/roles/CAREER_MENTOR", headers=root.headers
    )
    assert granted.status_code == 200, granted.text
    body = me(client, ada, granted.json()["consistency_token"]).json()
    assert body["roles"] == ["CANDIDATE", "CAREER_MENTOR"]

    # Check the new role applies at once, with the token issued before the grant.
    listed = client.get(
        "/users",
        params={"role": "CAREER_MENTOR", "after": granted.json()["consistency_token"]},
        headers=root.headers,
    )
    assert listed.status_code == 200
    assert [u["id"] for u in listed.json()["users"]] == [ada.user_id]

    revoked = client.delete(
        f"/users/{ada.user_id}/roles/CANDIDATE", headers=root.headers
    )
    assert revoked.status_code == 200
    body = me(client, ada, revoked.json()["consistency_token"]).json()
    assert body["roles"] == ["CAREER_MENTOR"]


def test_a_disabled_users_tokens_stop_working(client: TestClient) -> None:
    root = admin(client)
    email = f"{uuid4().hex[:8]}@example.org"
    ada = sign_in(client, email)
    assert me(client, ada).status_code == 200

    disabled = client.post(
        f"/users/{ada.user_id}/disable",
        headers=root.headers,
        json={"reason": "broke the rules"},
    )
    assert disabled.status_code == 200, disabled.text
    # Wait for the views to have it (the admin's read), then use the user's token.
    seen = client.get(
        f"/users/{ada.user_id}",
        headers=root.headers,
        params={"after": disabled.json()["consistency_token"]},
    )
    assert seen.json()["disabled"] is True
    assert_problem(me(client, ada), 401)
    assert_problem(
        client.post("/auth/refresh", json={"refresh_token": ada.refresh_token}), 401
    )
    # Check signing in afresh is refused too.
    nonce = uuid4().hex
    token = dev_id_token(client, email, nonce)
    refused = client.post("/auth/sign-in", json={"id_token": token, "nonce": nonce})
    assert_problem(refused, 403)

    # Check enabling lets the user back in.
    enabled = client.post(f"/users/{ada.user_id}/enable", headers=root.headers)
    assert enabled.status_code == 200
    client.get(
        f"/users/{ada.user_id}",
        headers=root.headers,
        params={"after": enabled.json()["consistency_token"]},
    )
    assert me(client, ada).status_code == 200


def test_users_see_only_themselves(client: TestClient) -> None:
    ada, bob = sign_in(client), sign_in(client)
    assert client.get(f"/users/{ada.user_id}", headers=ada.headers).status_code == 200
    assert_problem(client.get(f"/users/{bob.user_id}", headers=ada.headers), 403)
    assert_problem(client.get("/users", headers=ada.headers), 403)


def test_erasing_myself_ends_my_tokens(client: TestClient) -> None:
    ada = sign_in(client, "erase-me@example.org")
    erased = client.delete("/me", headers=ada.headers)
    assert erased.status_code == 200, erased.text
    root = admin(client)
    gone = client.get(
        f"/users/{ada.user_id}",
        headers=root.headers,
        params={"after": erased.json()["consistency_token"]},
    )
    assert_problem(gone, 404)
    assert_problem(me(client, ada), 401)
    assert_problem(
        client.post("/auth/refresh", json={"refresh_token": ada.refresh_token}), 401
    )
    # Check the same person may sign up again, as a new user.
    again = sign_in(client, "erase-me@example.org")
    assert again.user_id != ada.user_id


def test_an_admin_cannot_erase_their_own_account(client: TestClient) -> None:
    root, other = admin(client), admin(client)

    # Check both doors refuse, as disabling oneself is refused.
    refused = assert_problem(client.delete("/me", headers=root.headers), 403)
    assert "cannot erase their own account" in refused["detail"]
    assert_problem(client.delete(f"/users/{root.user_id}", headers=root.headers), 403)
    assert_problem(
        client.post(
            f"/users/{root.user_id}/disable", headers=root.headers, json={"reason": "x"}
        ),
        403,
    )
    # Check the account and its sessions are untouched.
    still = me(client, root)
    assert still.status_code == 200, still.text
    assert still.json()["roles"] == ["ADMIN"]
    refreshed = client.post("/auth/refresh", json={"refresh_token": root.refresh_token})
    assert refreshed.status_code == 200, refreshed.text

    # Check another admin may erase it.
    erased = client.delete(f"/users/{root.user_id}", headers=other.headers)
    assert erased.status_code == 200, erased.text


# --- Every door -------------------------------------------------------------------


def test_commands_from_any_door_end_the_users_sessions(client: TestClient) -> None:
    # Dispatched as an inbound message handler would: no route, the system acting.
    built = container(client)
    ada = sign_in(client, roles=("CANDIDATE",))
    bob = sign_in(client)
    carl = sign_in(client)

    built.dispatcher.dispatch(
        RevokeRole(actor=Actor.system(), user_id=UUID(ada.user_id), role=Role.CANDIDATE)
    )
    # Check the token is revoked (ada is still active: only the revocation refuses).
    assert built.identity.refresh_tokens.live_count(UUID(ada.user_id)) == 0
    refused = client.post("/auth/refresh", json={"refresh_token": ada.refresh_token})
    assert assert_problem(refused, 401)["detail"] == "The refresh token is not valid."

    built.dispatcher.dispatch(
        EraseUser(actor=Actor.system(), user_id=UUID(bob.user_id))
    )
    assert built.identity.refresh_tokens.live_count(UUID(bob.user_id)) == 0
    refused = client.post("/auth/refresh", json={"refresh_token": bob.refresh_token})
    assert assert_problem(refused, 401)["detail"] == "The refresh token is not valid."

    # Check nobody else's sessions ended.
    kept = client.post("/auth/refresh", json={"refresh_token": carl.refresh_token})
    assert kept.status_code == 200, kept.text


def test_events_carry_the_requests_correlation_id(client: TestClient) -> None:
    nonce = uuid4().hex
    token = dev_id_token(client, f"{uuid4().hex[:8]}@example.org", nonce)
    signed = client.post(
        "/auth/sign-in",
        json={"id_token": token, "nonce": nonce},
        headers={"X-Correlation-Id": "sign-in-1"},
    )
    assert signed.status_code == 200, signed.text
    user_id = signed.json()["user_id"]
    patched = client.patch(
        "/me",
        json={"phone": "+14155550100"},
        headers={
            "Authorization": f"Bearer {signed.json()['access_token']}",
            "X-Correlation-Id": "patch-1",
        },
    )
    assert patched.status_code == 200, patched.text

    # Check each event names the request it came from, and the user as the actor
    # (the sign-in is dispatched by the system on their behalf).
    app = container(client).application(IdentityApplication)
    events = list(app.events.get(UUID(user_id)))
    assert [e.correlation_id for e in events] == ["sign-in-1", "patch-1"]  # type: ignore[attr-defined]
    assert {e.actor_id for e in events} == {user_id}  # type: ignore[attr-defined]


# --- Bad input --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "555-0100"}, "phone"),
        ({"date_of_birth": "17/05/1990"}, "date_of_birth"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"first_name": "   "}, "first_name"),
        ({"last_name": "x" * 101}, "last_name"),
        ({"gender": "robot"}, "gender"),
        (
            {"address": {"line1": "1 Main", "city": "X", "country": "usa"}},
            "address.country",
        ),
        ({"address": {"city": "X", "country": "US"}}, "address.line1"),
        ({"email": "new@example.org"}, "email"),
        ({"roles": ["ADMIN"]}, "roles"),
    ],
)
def test_malformed_profile_fields_are_422_naming_the_field(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    ada = sign_in(client)
    problem = assert_problem(client.patch("/me", headers=ada.headers, json=body), 422)
    assert field in [e["field"] for e in problem["errors"]]


# --- Settings -----------------------------------------------------------------------


def test_production_refuses_the_development_issuer() -> None:
    with pytest.raises(ValidationError, match="development issuer"):
        Settings(
            environment="production",
            dev_issuer_enabled=True,
            signing_secret="s3cret-for-prod",
            postgres_url="postgresql://x@127.0.0.1/x",
        )


def test_production_has_no_development_issuer_routes(tmp_path: Any) -> None:
    settings = Settings(
        environment="production",
        signing_secret="s3cret-for-prod",
        postgres_url="postgresql://nobody@127.0.0.1:1/none",
        event_store="popo",
        run_projections_in_api=False,
    )
    app = create_app(settings)
    paths = app.openapi()["paths"]
    assert not any(p.startswith("/dev-issuer") for p in paths)


def test_a_new_user_is_let_in_while_the_views_lag() -> None:
    # The views exist but no projection runs: they never learn of the new user.
    settings = Settings(event_store="popo", run_projections_in_api=False)
    container = build_container(settings)
    container.engine.setup()
    with TestClient(create_app(container=container)) as lagging:
        ada = sign_in(lagging, given_name="Ada")
        response = me(lagging, ada)
        assert response.status_code == 200, response.text
        assert response.json()["first_name"] == "Ada"
        assert response.json()["roles"] == []
    container.close()
