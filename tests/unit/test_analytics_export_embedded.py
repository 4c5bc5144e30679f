"""The analytics export on the embedded store (SQLite files, no server): the logs
read through the recorders, the users found by scanning identity's log, a lock
file serialising runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow.dataset as pads
import pytest
from fastapi.testclient import TestClient

from adapters.analytics.export import export_events, pseudonym_for
from adapters.analytics.sources import RecorderSource
from adapters.bootstrap import Container, build_container
from adapters.http.app import create_app
from adapters.settings import Settings
from tests.support.identity import SignedIn, sign_in


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[TestClient, Container]]:
    container = build_container(
        Settings(event_store="sqlite", data_dir=tmp_path / "data")
    )
    try:
        with TestClient(create_app(container=container)) as client:
            yield client, container
    finally:
        container.close()


def users(client: TestClient, count: int) -> list[SignedIn]:
    return [
        sign_in(client, given_name="Ada", family_name="Lovelace") for _ in range(count)
    ]


def test_an_embedded_export_appends_and_pseudonymises(
    app: tuple[TestClient, Container], tmp_path: Path
) -> None:
    client, container = app
    people = users(client, 2)
    identity = container.applications["identity"]
    source = RecorderSource("identity", identity.recorder)
    assert set(source.user_ids()) == {p.user_id for p in people}

    root = tmp_path / "out"
    first = export_events(container, root, chunk_size=3)
    head = identity.recorder.max_notification_id()
    assert first.positions["identity"] == head
    table = pads.dataset(
        root / "events", format="parquet", partitioning="hive"
    ).to_table()
    assert table.num_rows > 0
    ids = set(table.column("aggregate_id").to_pylist())
    for person in people:
        assert person.user_id not in ids
        assert pseudonym_for(container, person.user_id) in ids
    assert "Lovelace" not in str(table.to_pylist())
    assert (root / "_state" / "identity.json").exists()

    # Check a second run adds only what is new.
    users(client, 1)
    second = export_events(container, root, chunk_size=3)
    assert second.applications["identity"].first_position == (head or 0) + 1
    positions = (
        pads.dataset(root / "events", format="parquet", partitioning="hive")
        .to_table(columns=["application", "position"])
        .to_pylist()
    )
    keys = [(row["application"], row["position"]) for row in positions]
    assert len(keys) == len(set(keys))
