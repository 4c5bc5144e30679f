"""Processes started at the same moment on an empty database all come up."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from adapters.bootstrap import Container, build_container
from adapters.settings import Settings
from tests.support.onboarding_http import fresh_database

STARTING = 4


def start_together(settings: Settings) -> tuple[list[Container], list[Exception]]:
    """``STARTING`` processes' containers built at the same moment (threads stand
    in for processes: each opens its own connections)."""
    together = threading.Barrier(STARTING)
    built: list[Container] = []
    failures: list[Exception] = []

    def start() -> None:
        together.wait()
        try:
            container = build_container(settings)
            container.prepare()  # what the API and the worker do first
            built.append(container)
        except Exception as error:  # noqa: BLE001 - reported by the test
            failures.append(error)

    threads = [threading.Thread(target=start) for _ in range(STARTING)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return built, failures


@pytest.mark.parametrize("attempt", range(3))
def test_processes_starting_together_on_an_empty_database_all_come_up(
    postgres_url: str, tmp_path: Path, attempt: int
) -> None:
    # An API and a worker (or several of either) restarted together: each creates
    # its tables (event store, views, identity's, inbound dedup) if they are missing.
    with fresh_database(postgres_url) as database_url:
        built, failures = start_together(
            Settings(postgres_url=database_url, data_dir=tmp_path)
        )
        try:
            # Check every process came up, and each reads the (empty) logs.
            assert failures == []
            assert len(built) == STARTING
            for container in built:
                for app in container.applications.values():
                    assert (app.recorder.max_notification_id() or 0) == 0
        finally:
            for container in built:
                container.close()
