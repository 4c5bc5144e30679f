"""Helpers for identity tests: the application on the in-memory store, HTTP sign-in."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

import httpx
from fastapi.testclient import TestClient

from adapters.embedded.views import SqliteRelationalStore
from adapters.identity.data_keys import SqlPersonalDataVault
from commands.base import Actor
from commands.dispatch import Dispatcher
from commands.identity.application import IdentityApplication
from commands.identity.handlers import HANDLERS
from commands.identity.messages import BootstrapAdmin


@dataclass
class RevokedTokens:
    """The refresh-token port, remembering whose tokens were revoked, in order."""

    revoked: list[UUID] = field(default_factory=list)

    def revoke_all(self, user_id: UUID) -> None:
        self.revoked.append(user_id)


def identity_application(
    refresh_tokens: RevokedTokens | None = None,
    vault: SqlPersonalDataVault | None = None,
) -> IdentityApplication:
    """The identity application on POPO, its keys in ``vault`` (by default, a new
    in-memory SQLite vault)."""
    return IdentityApplication(
        env={"PERSISTENCE_MODULE": "eventsourcing.popo"},
        vault=vault or SqlPersonalDataVault(SqliteRelationalStore(None)),
        refresh_tokens=refresh_tokens or RevokedTokens(),
    )


PROBLEM = "application/problem+json"


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """The response is a problem document with ``status``; its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def identity_dispatcher(app: IdentityApplication) -> Dispatcher:
    """Identity's handlers, dispatching to ``app``."""
    return Dispatcher({app.name: app}, [HANDLERS])


@dataclass
class SignedIn:
    user_id: str
    access_token: str
    refresh_token: str
    body: dict[str, Any]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def dev_id_token(
    client: httpx.Client,
    email: str,
    nonce: str,
    *,
    given_name: str | None = None,
    family_name: str | None = None,
    email_verified: bool = True,
) -> str:
    response = client.post(
        "/dev-issuer/token",
        json={
            "email": email,
            "nonce": nonce,
            "given_name": given_name,
            "family_name": family_name,
            "email_verified": email_verified,
        },
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["id_token"]
    return token


def sign_in(
    client: httpx.Client,
    email: str | None = None,
    *,
    roles: tuple[str, ...] = (),
    given_name: str | None = "Test",
    family_name: str | None = "User",
) -> SignedIn:
    """Sign in through the development issuer, as a new user unless ``email`` given
    (``client``: the app's ``TestClient``, or any client of a served API)."""
    email = email or f"user-{uuid4().hex[:10]}@example.org"
    nonce = uuid4().hex
    id_token = dev_id_token(
        client, email, nonce, given_name=given_name, family_name=family_name
    )
    response = client.post(
        "/auth/sign-in",
        json={"id_token": id_token, "nonce": nonce, "roles": list(roles)},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return SignedIn(body["user_id"], body["access_token"], body["refresh_token"], body)


def exchange_at_once(
    client: TestClient, id_token: str, nonce: str, *, runners: int
) -> list[int]:
    """``runners`` simultaneous sign-ins with one ID token; their statuses."""
    start = threading.Barrier(runners)
    statuses: list[int] = []

    def run() -> None:
        start.wait()
        response = client.post(
            "/auth/sign-in", json={"id_token": id_token, "nonce": nonce}
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=run) for _ in range(runners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def signed_in_admin(client: TestClient) -> SignedIn:
    """A new admin of the app ``client`` serves (bootstrapped as the operator
    would), signed in."""
    email = f"admin-{uuid4().hex[:8]}@example.org"
    container = client.app.state.container  # type: ignore[attr-defined]
    container.dispatcher.dispatch(
        BootstrapAdmin(actor=Actor.system("test"), email=email)
    )
    return sign_in(client, email)
