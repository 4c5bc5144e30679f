"""``spotlight admin …``: the operator makes the first admin, who then signs in;
disables and erases users, whose sessions end as from any other door."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from adapters.bootstrap import Container
from adapters.cli.main import cli
from adapters.http.app import create_app
from adapters.settings import Settings
from commands.identity.application import IdentityApplication
from domain.base import SYSTEM_ACTOR
from tests.support.identity import sign_in


def test_bootstrap_then_first_sign_in_is_the_admin(tmp_path: Path) -> None:
    env = {"SPOTLIGHT_DATA_DIR": str(tmp_path), "SPOTLIGHT_EVENT_STORE": "sqlite"}
    runner = CliRunner()
    created = runner.invoke(cli, ["admin", "bootstrap", "Root@Example.org"], env=env)
    assert created.exit_code == 0, created.output
    assert "created an admin account" in created.output
    again = runner.invoke(cli, ["admin", "bootstrap", "root@example.org"], env=env)
    assert "already an admin" in again.output
    refused = runner.invoke(cli, ["admin", "bootstrap", "not-an-email"], env=env)
    assert refused.exit_code != 0

    settings = Settings(data_dir=tmp_path, event_store="sqlite")
    with TestClient(create_app(settings)) as client:
        root = sign_in(client, "root@example.org")
        assert root.body["roles"] == ["ADMIN"]
        assert root.user_id == created.output.split(":")[0]
        assert client.get("/users", headers=root.headers).status_code == 200


def test_rotating_the_signing_key_logs_nobody_out(tmp_path: Path) -> None:
    env = {"SPOTLIGHT_DATA_DIR": str(tmp_path), "SPOTLIGHT_EVENT_STORE": "sqlite"}
    settings = Settings(data_dir=tmp_path, event_store="sqlite")
    with TestClient(create_app(settings)) as client:
        ada = sign_in(client)
        rotated = CliRunner().invoke(cli, ["admin", "rotate-signing-key"], env=env)
        assert rotated.exit_code == 0, rotated.output
        # The running API sees the new key when a token names it, and the old token
        # still verifies.
        assert client.get("/me", headers=ada.headers).status_code == 200
        bob = sign_in(client)
        assert client.get("/me", headers=bob.headers).status_code == 200


def _refresh(client: TestClient, refresh_token: str) -> Any:
    return client.post("/auth/refresh", json={"refresh_token": refresh_token})


def test_disabling_a_user_from_the_command_line_ends_their_sessions(
    tmp_path: Path,
) -> None:
    env = {"SPOTLIGHT_DATA_DIR": str(tmp_path), "SPOTLIGHT_EVENT_STORE": "sqlite"}
    settings = Settings(data_dir=tmp_path, event_store="sqlite")
    runner = CliRunner()
    with TestClient(create_app(settings)) as client:
        container: Container = client.app.state.container  # type: ignore[attr-defined]
        ada = sign_in(client)
        bob = sign_in(client)

        disabled = runner.invoke(
            cli,
            ["admin", "disable-user", ada.user_id, "--reason", "reported twice"],
            env=env,
        )
        assert disabled.exit_code == 0, disabled.output
        assert f"{ada.user_id}: disabled" in disabled.output

        # Check the refresh token itself was revoked (not only refused because the
        # account is disabled), and nobody else's.
        assert container.identity.refresh_tokens.live_count(UUID(ada.user_id)) == 0
        refused = _refresh(client, ada.refresh_token)
        assert refused.status_code == 401, refused.text
        assert refused.json()["detail"] == "The refresh token is not valid."
        assert _refresh(client, bob.refresh_token).status_code == 200

        # Check the operator's event names the system as its actor.
        events = container.application(IdentityApplication).events
        last = list(events.get(UUID(ada.user_id)))[-1]
        assert last.actor_id == SYSTEM_ACTOR  # type: ignore[attr-defined]

        erased = runner.invoke(cli, ["admin", "erase-user", bob.user_id], env=env)
        assert erased.exit_code == 0, erased.output
        assert f"{bob.user_id}: erased" in erased.output
        assert container.identity.refresh_tokens.live_count(UUID(bob.user_id)) == 0
        refused = _refresh(client, bob.refresh_token)
        assert refused.status_code == 401, refused.text
        assert refused.json()["detail"] == "The refresh token is not valid."


def test_the_user_commands_refuse_unknown_users_and_bad_input(tmp_path: Path) -> None:
    env = {"SPOTLIGHT_DATA_DIR": str(tmp_path), "SPOTLIGHT_EVENT_STORE": "sqlite"}
    runner = CliRunner()
    nobody = str(uuid4())
    for args in (
        ["disable-user", nobody, "--reason", "spam"],
        ["erase-user", nobody],
    ):
        refused = runner.invoke(cli, ["admin", *args], env=env)
        assert refused.exit_code == 1, refused.output
        assert "refused: No such user." in refused.output
    for args in (
        ["disable-user", "not-an-id", "--reason", "spam"],
        ["disable-user", nobody, "--reason", ""],
        ["disable-user", nobody],
        ["erase-user", "not-an-id"],
    ):
        assert runner.invoke(cli, ["admin", *args], env=env).exit_code == 2, args
