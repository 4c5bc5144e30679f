"""The analytics export on PostgreSQL: incremental, resumable after a kill, safe to
run twice at once, ``since``, and an S3 target pyarrow reads back."""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow.dataset as pads
import pyarrow.fs as pafs
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from adapters.analytics.export import ExportProgress, export_events
from adapters.analytics.target import s3_filesystem
from adapters.bootstrap import Container, build_container
from adapters.cli.main import cli
from adapters.http.app import create_app
from adapters.settings import Settings
from tests.support.identity import sign_in

pytestmark = pytest.mark.real_services


@dataclass
class World:
    client: TestClient
    container: Container

    def activity(self, users: int = 3) -> None:
        """New events in the identity log: sign-ins and profile changes."""
        for _ in range(users):
            user = sign_in(self.client)
            answer = self.client.patch(
                "/me", json={"first_name": "Kim"}, headers=user.headers
            )
            assert answer.status_code == 200, answer.text

    def log(self) -> dict[str, list[int]]:
        """Every position of every application's log."""
        return {
            name: [n.id for n in app.recorder.select_notifications(1, 1_000_000)]
            for name, app in self.container.applications.items()
        }


@pytest.fixture
def world(tmp_path: Path, postgres_url: str, postgres_schema: str) -> Iterator[World]:
    settings = Settings(
        data_dir=tmp_path / "data",
        postgres_url=postgres_url,
        postgres_schema=postgres_schema,
    )
    container = build_container(settings)
    try:
        with TestClient(create_app(container=container)) as client:
            yield World(client, container)
    finally:
        container.close()


def exported_positions(
    root: str, filesystem: pafs.FileSystem | None = None
) -> Counter[tuple[str, int]]:
    """(application, position) of every exported row, counted."""
    dataset = pads.dataset(
        f"{root}/events", format="parquet", partitioning="hive", filesystem=filesystem
    )
    table = dataset.to_table(columns=["application", "position"])
    return Counter(
        zip(
            table.column("application").to_pylist(),
            table.column("position").to_pylist(),
            strict=True,
        )
    )


def expected_positions(world: World) -> Counter[tuple[str, int]]:
    """What a complete export holds: every event but the uniqueness claims'."""
    exported = {"identity", "onboarding", "careers", "scheduling"}
    claims = ("EmailClaim", "IdentityLink", "RegistrationClaim")
    found: Counter[tuple[str, int]] = Counter()
    for name, app in world.container.applications.items():
        if name not in exported:
            continue
        for n in app.recorder.select_notifications(1, 1_000_000):
            if not any(f":{claim}." in n.topic for claim in claims):
                found[name, n.id] += 1
    return found


def test_a_second_run_exports_only_new_events(world: World, tmp_path: Path) -> None:
    root = str(tmp_path / "out")
    world.activity(2)
    first = export_events(world.container, root, chunk_size=4)
    assert first.events > 0
    assert exported_positions(root) == expected_positions(world)
    head = first.positions["identity"]

    # Check nothing is exported twice when nothing happened.
    assert export_events(world.container, root, chunk_size=4).events == 0

    # Check a second run after new events exports those only.
    world.activity(1)
    second = export_events(world.container, root, chunk_size=4)
    assert second.applications["identity"].first_position == head + 1
    assert second.events == world.log()["identity"][-1] - head
    assert exported_positions(root) == expected_positions(world)


def test_a_killed_run_resumes_without_duplicates_or_gaps(
    world: World, tmp_path: Path
) -> None:
    root = str(tmp_path / "out")
    world.activity(3)

    class KilledError(Exception):
        pass

    def kill_after_first_chunk(progress: ExportProgress) -> None:
        raise KilledError

    with pytest.raises(KilledError):
        export_events(
            world.container, root, chunk_size=5, progress=kill_after_first_chunk
        )
    partial = exported_positions(root)
    assert 0 < sum(partial.values()) < sum(expected_positions(world).values())

    # A kill between a chunk's files and its state: the next run writes it again.
    state = Path(root) / "_state" / "identity.json"
    position = int(json.loads(state.read_text())["position"])
    pending = {"first": position - 4, "last": position}
    state.write_text(json.dumps({"position": position - 5, "pending": pending}))

    seen: list[ExportProgress] = []
    export_events(world.container, root, chunk_size=5, progress=seen.append)
    assert seen
    assert seen[-1].done == seen[-1].total
    assert exported_positions(root) == expected_positions(world)


def test_two_exports_at_once_export_each_event_once(
    world: World, tmp_path: Path
) -> None:
    root = str(tmp_path / "out")
    world.activity(3)
    errors: list[BaseException] = []
    exported: list[int] = []

    def run(chunk_size: int) -> None:
        # Different chunk sizes: unserialised, their files would not coincide.
        try:
            exported.append(
                export_events(world.container, root, chunk_size=chunk_size).events
            )
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(size,)) for size in (3, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    total = sum(len(positions) for positions in world.log().values())
    assert sorted(exported) == [0, total]
    assert exported_positions(root) == expected_positions(world)


def test_since_exports_again_from_a_position(world: World, tmp_path: Path) -> None:
    root = str(tmp_path / "out")
    world.activity(3)
    export_events(world.container, root, chunk_size=4)
    expected = expected_positions(world)

    again = export_events(world.container, root, since=6, chunk_size=4)
    identity = again.applications["identity"]
    assert identity.first_position is not None
    assert identity.first_position <= 6
    assert identity.last_position == world.log()["identity"][-1]
    assert exported_positions(root) == expected

    # From the start: everything once more, still once each.
    everything = export_events(world.container, root, since=0, chunk_size=7)
    assert everything.events == sum(len(p) for p in world.log().values())
    assert exported_positions(root) == expected


def test_an_s3_target_is_read_back_with_pyarrow(world: World, s3_endpoint: str) -> None:
    world.activity(2)
    settings = world.container.settings.model_copy(update={"s3_endpoint": s3_endpoint})
    bucket = f"analytics-{uuid.uuid4().hex[:12]}"
    summary = export_events(
        world.container, f"s3://{bucket}/exports/run", settings=settings
    )
    assert summary.events > 0
    filesystem = s3_filesystem(settings)
    positions = exported_positions(f"{bucket}/exports/run", filesystem)
    assert positions == expected_positions(world)
    dataset = pads.dataset(
        f"{bucket}/exports/run/events/user",
        format="parquet",
        partitioning="hive",
        filesystem=filesystem,
    )
    users = dataset.to_table()
    assert set(users.column("event_type").to_pylist()) >= {"User.Registered"}
    assert all(a.startswith("u_") for a in users.column("aggregate_id").to_pylist())
    state = filesystem.open_input_stream(f"{bucket}/exports/run/_state/identity.json")
    assert b'"position"' in state.read()


def test_the_command_line_exports_and_exports_again_since(
    world: World, tmp_path: Path
) -> None:
    world.activity(2)
    settings = world.container.settings
    env = {
        "SPOTLIGHT_POSTGRES_URL": str(settings.postgres_url),
        "SPOTLIGHT_POSTGRES_SCHEMA": str(settings.postgres_schema),
        "SPOTLIGHT_DATA_DIR": str(tmp_path / "cli"),
        "COLUMNS": "200",
    }
    root = tmp_path / "cli-out"
    runner = CliRunner()
    first = runner.invoke(
        cli, ["analytics", "export", "--to", str(root), "--chunk-size", "4"], env=env
    )
    assert first.exit_code == 0, first.output
    total = sum(len(positions) for positions in world.log().values())
    assert f"exported {total:,} events to {root}" in first.output
    assert "events/s" in first.output
    assert exported_positions(str(root)) == expected_positions(world)

    again = runner.invoke(
        cli,
        ["analytics", "export", "--to", str(root), "--since", "5", "--chunk-size", "4"],
        env=env,
    )
    assert again.exit_code == 0, again.output
    assert "exported 0 events" not in again.output
    assert exported_positions(str(root)) == expected_positions(world)
