"""``spotlight projections status|rebuild`` and ``events tail`` on real PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from adapters.cli.main import cli
from adapters.http.app import create_app
from adapters.settings import Settings
from tests.support.identity import sign_in
from tests.support.onboarding_http import fresh_database


def test_status_rebuild_and_tail_against_postgres(
    postgres_url: str, tmp_path: Path
) -> None:
    with fresh_database(postgres_url) as database_url:
        env = {
            "SPOTLIGHT_POSTGRES_URL": database_url,
            "SPOTLIGHT_DATA_DIR": str(tmp_path),
            "COLUMNS": "250",  # rich tables: one line per row
        }
        settings = Settings(postgres_url=database_url, data_dir=tmp_path)
        with TestClient(create_app(settings)) as client:
            users = [sign_in(client) for _ in range(3)]
            token = users[-1].body["consistency_token"]
            # Check the users view has every sign-in before the CLI looks.
            seen = client.get(f"/me?after={token}", headers=users[-1].headers)
            assert seen.status_code == 200, seen.text
        runner = CliRunner()

        status = runner.invoke(cli, ["projections", "status"], env=env)
        assert status.exit_code == 0, status.output
        users_row = next(
            line for line in status.output.splitlines() if line.startswith("│ users ")
        )
        cells = [cell.strip() for cell in users_row.strip("│").split("│")]
        # projection, version, source, position, head, lag, state, worker
        assert cells[0:3] == ["users", "1", "identity"]
        assert cells[3] == cells[4]
        assert cells[5] == "0"
        # The API that ran the projections has stopped: no worker holds them now.
        assert cells[7] == "none"

        rebuilt = runner.invoke(cli, ["projections", "rebuild", "users"], env=env)
        assert rebuilt.exit_code == 0, rebuilt.output
        assert "users now serves version 2" in rebuilt.output

        unknown = runner.invoke(cli, ["projections", "rebuild", "nope"], env=env)
        assert unknown.exit_code != 0
        assert "unknown projection 'nope'" in unknown.output

        tail = runner.invoke(
            cli,
            ["events", "tail", "-n", "5", "--source", "identity"],
            env=env,
        )
        assert tail.exit_code == 0
        rows = [
            [cell.strip() for cell in line.strip("│").split("│")]
            for line in tail.output.splitlines()
            if line.startswith("│ identity")
        ]
        # Three sign-ins made nine events; the last five are shown, in order.
        assert [row[1] for row in rows] == ["5", "6", "7", "8", "9"]
        assert "User.Registered" in [row[3] for row in rows]

        # Check the API now reads the rebuilt version and still finds every user.
        with TestClient(create_app(settings)) as client:
            for user in users:
                me = client.get("/me", headers=user.headers)
                assert me.status_code == 200, me.text
                assert me.json()["id"] == user.user_id
