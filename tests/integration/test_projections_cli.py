"""``spotlight projections status|rebuild|skip`` and ``events tail`` on real
PostgreSQL."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from adapters.backends import event_store_scope
from adapters.cli.main import cli
from adapters.http.app import create_app
from adapters.kafka.bus import KafkaMessageBus
from adapters.settings import Settings
from commands.onboarding.inbound import OFFERING_FLOW_CONSUMER
from ports.messages import Message
from ports.relational import SqlSession
from projections.contracts import ProjectedEvent
from projections.identity.users_view import UsersView
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


def test_a_view_stopped_on_one_event_alerts_and_an_operator_skips_it(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runbook (README "When a projection fails") on real PostgreSQL: a users
    view that cannot apply one event says so in health and status, and the
    operator's `skip` gets every later write through."""
    original = UsersView.apply

    def cannot_apply_poison(
        self: UsersView, session: SqlSession, events: Sequence[ProjectedEvent]
    ) -> None:
        for item in events:
            if getattr(item.event, "first_name", None) == "Poison":
                raise ValueError("the view cannot store this name")
        original(self, session, events)

    monkeypatch.setattr(UsersView, "apply", cannot_apply_poison)
    with fresh_database(postgres_url) as database_url:
        env = {
            "SPOTLIGHT_POSTGRES_URL": database_url,
            "SPOTLIGHT_DATA_DIR": str(tmp_path),
            "COLUMNS": "250",
        }
        settings = Settings(postgres_url=database_url, data_dir=tmp_path)
        with TestClient(create_app(settings)) as client:
            engine = client.app.state.container.engine  # type: ignore[attr-defined]
            engine.retry_delay_seconds = 0.01
            engine.failed_poll_seconds = 0.05
            ada, bob = sign_in(client), sign_in(client)
            poisoned = client.patch(
                "/me", headers=ada.headers, json={"first_name": "Poison"}
            )
            assert poisoned.status_code == 200, poisoned.text
            poison_at = poisoned.json()["consistency_token"]
            # Check the instance is not ready (503), naming the view and the event.
            health = wait_for_health(client, "down")
            assert health["views"]["status"] == "down"
            assert health["views"]["failed"] == [
                {
                    "projection": "users",
                    "failed_at": poison_at,
                    "error": health["views"]["failed"][0]["error"],
                }
            ]
            assert (
                "ValueError: the view cannot store this name"
                in (health["views"]["failed"][0]["error"])
            )
            # Later writes of other users wait behind the stopped view.
            renamed = client.patch("/me", headers=bob.headers, json={"first_name": "B"})
            after = renamed.json()["consistency_token"]
            assert client.get(
                f"/me?after={after}", headers=bob.headers
            ).status_code == (504)

            runner = CliRunner()
            status = runner.invoke(cli, ["projections", "status"], env=env)
            assert status.exit_code == 0, status.output
            assert f"FAILED users stopped on event {poison_at}" in status.output

            wrong = runner.invoke(
                cli, ["projections", "skip", "users", "identity:1"], env=env
            )
            assert wrong.exit_code != 0
            assert f"stopped on {poison_at}" in wrong.output
            skipped = runner.invoke(
                cli, ["projections", "skip", "users", poison_at], env=env
            )
            assert skipped.exit_code == 0, skipped.output

            seen = client.get(f"/me?after={after}", headers=bob.headers)
            assert seen.status_code == 200, seen.text
            assert seen.json()["first_name"] == "B"
            assert wait_for_health(client, "up")["views"]["failed"] == []


def wait_for_health(client: TestClient, status: str) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    while True:
        response = client.get("/health/ready")
        body: dict[str, Any] = response.json()
        if body["status"] == status or time.monotonic() > deadline:
            assert body["status"] == status, body
            assert response.status_code == (200 if status == "up" else 503)
            return body
        time.sleep(0.05)


def consumer_rows(output: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip("│").split("│")]
        for line in output.splitlines()
        if line.startswith(f"│ {OFFERING_FLOW_CONSUMER} ")
    ]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_status_lists_each_inbound_consumer_with_its_lag_from_kafka(
    postgres_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    topic = f"offerings-{uuid.uuid4().hex[:10]}"
    with fresh_database(postgres_url) as database_url:
        env = {
            "SPOTLIGHT_POSTGRES_URL": database_url,
            "SPOTLIGHT_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "SPOTLIGHT_ONBOARDING_OFFERINGS_TOPIC": topic,
            "SPOTLIGHT_DATA_DIR": str(tmp_path),
            "COLUMNS": "250",
        }
        scope = event_store_scope(Settings(postgres_url=database_url))
        group = f"{OFFERING_FLOW_CONSUMER}.{scope}"
        bus = KafkaMessageBus(kafka_bootstrap)
        try:
            for i in range(3):
                bus.publish(topic, "k", f"offering-{i}".encode())
            runner = CliRunner()
            # Check three messages wait for a group that has committed nothing.
            waiting = runner.invoke(cli, ["projections", "status"], env=env)
            assert waiting.exit_code == 0, waiting.output
            assert consumer_rows(waiting.output) == [
                [OFFERING_FLOW_CONSUMER, group, topic, "none", "3", "3"]
            ]
            consumer = bus.consumer([topic], group)
            try:
                received: list[Message] = []
                while len(received) < 3:
                    received.extend(consumer.poll(0.5))
                consumer.commit()
            finally:
                consumer.close()
            bus.publish(topic, "k", b"offering-3")
            # Check the lag counts from the group's committed offsets.
            later = runner.invoke(cli, ["projections", "status"], env=env)
            assert later.exit_code == 0, later.output
            assert consumer_rows(later.output) == [
                [OFFERING_FLOW_CONSUMER, group, topic, "3", "4", "1"]
            ]
        finally:
            bus.close()


def test_status_shows_consumers_unknown_while_kafka_is_down(
    postgres_url: str, tmp_path: Path
) -> None:
    with fresh_database(postgres_url) as database_url:
        env = {
            "SPOTLIGHT_POSTGRES_URL": database_url,
            "SPOTLIGHT_KAFKA_BOOTSTRAP": f"127.0.0.1:{closed_port()}",
            "SPOTLIGHT_DATA_DIR": str(tmp_path),
            "COLUMNS": "250",
        }
        status = CliRunner().invoke(cli, ["projections", "status"], env=env)
    # Check the projections are shown, and the consumer as unknown with why.
    assert status.exit_code == 0, status.output
    assert "│ users " in status.output
    [row] = consumer_rows(status.output)
    assert row[3:] == [
        "unknown",
        "unknown",
        "unknown: kafka unreachable (KafkaTimeoutError)",
    ]


def test_status_says_in_one_line_that_postgres_is_out_of_reach(
    tmp_path: Path,
) -> None:
    env = {
        "SPOTLIGHT_POSTGRES_URL": (
            f"postgresql://spotlight:spotlight@127.0.0.1:{closed_port()}/spotlight"
        ),
        "SPOTLIGHT_DATA_DIR": str(tmp_path),
    }
    status = CliRunner().invoke(cli, ["projections", "status"], env=env)
    assert status.exit_code == 1
    assert status.output.splitlines() == [
        "spotlight: postgres is out of reach (BackendUnavailableError); "
        "no status to show"
    ]
