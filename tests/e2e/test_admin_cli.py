"""``spotlight admin bootstrap EMAIL`` makes the first admin, who then signs in."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from adapters.cli.main import cli
from adapters.http.app import create_app
from adapters.settings import Settings
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
