"""The API reads its own writes while a separate worker runs the projections."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from adapters.bootstrap import build_container
from adapters.http.app import create_app
from adapters.settings import Settings
from tests.support.identity import sign_in
from tests.support.onboarding_http import fresh_database


def check_api_reads_its_writes_from_the_worker(settings: Settings) -> None:
    api_settings = settings.model_copy(update={"run_projections_in_api": False})
    worker = build_container(settings)
    worker.start_projections()  # as `spotlight projections run` does
    try:
        with TestClient(create_app(api_settings)) as client:
            assert not client.app.state.container.engine.running  # type: ignore[attr-defined]
            ada = sign_in(client)
            changed = client.patch(
                "/me", json={"first_name": "Augusta"}, headers=ada.headers
            )
            assert changed.status_code == 200, changed.text
            token = changed.json()["consistency_token"]

            me = client.get("/me", params={"after": token}, headers=ada.headers)

            assert me.status_code == 200, me.text
            assert me.json()["first_name"] == "Augusta"
    finally:
        worker.close()


def test_on_postgres_positions_arrive_by_notify(
    postgres_url: str, tmp_path: Path
) -> None:
    with fresh_database(postgres_url) as database_url:
        check_api_reads_its_writes_from_the_worker(
            Settings(postgres_url=database_url, data_dir=tmp_path)
        )


def test_on_sqlite_positions_are_read_from_the_tracking_table(tmp_path: Path) -> None:
    check_api_reads_its_writes_from_the_worker(
        Settings(data_dir=tmp_path, event_store="sqlite")
    )
