"""Helpers for identity tests: an application on the in-memory store, HTTP sign-in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from fastapi.testclient import TestClient

from adapters.embedded.views import SqliteRelationalStore
from adapters.identity.stores import SqlPersonalDataVault
from commands.identity import IdentityApplication


def identity_application() -> IdentityApplication:
    """The identity application on POPO, its keys in an in-memory SQLite vault."""
    vault = SqlPersonalDataVault(SqliteRelationalStore(None))
    return IdentityApplication(
        env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, vault=vault
    )


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
    client: TestClient,
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
    client: TestClient,
    email: str | None = None,
    *,
    roles: tuple[str, ...] = (),
    given_name: str | None = "Test",
    family_name: str | None = "User",
) -> SignedIn:
    """Sign in through the development issuer, as a new user unless ``email`` given."""
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
