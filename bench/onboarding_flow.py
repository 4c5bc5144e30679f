"""Time from offering creation to the NPO being COMPLETE with a leader, through the
seed's Kafka flow, on the real services.

    python -m bench.onboarding_flow --npos 200

Runs the composed container in process against real PostgreSQL (a fresh database,
dropped at the end), FerretDB, Redis, Kafka and S3: the engine publishes the
``OfferingCreated`` message, the inbound consumer records the mapping, completes the
NPO, places it and assigns a leader (20 leaders, cap 10: everyone gets one).

For each NPO, from just before the create-offering command:

- *written*: the ``Npo.LeaderAssigned`` event is committed (seen by tailing the log);
- *readable*: the ``onboarding_npos`` view has applied it (``GET /npos/{id}`` shows
  COMPLETE with the leader).

Two runs: *sequential* (one offering at a time, each waited for) and *burst* (all
offerings created back to back, then waited for). Prints a table, then one JSON line
of the figures (milliseconds).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

from rich.console import Console
from rich.table import Table

from adapters.bootstrap import Container, build_container
from adapters.postgres.database import temporary_database
from adapters.s3.blobs import S3BlobStore
from adapters.settings import Settings
from commands.base import Actor
from commands.onboarding.application import OnboardingApplication
from commands.onboarding.messages import (
    AddLeader,
    CreateCommunity,
    CreateNpo,
    CreateOffering,
    SetPolicy,
)
from domain.onboarding.offering_content import OfferingContent
from domain.onboarding.values import NpoLocation, NpoProfile
from projections.onboarding.tables import NPOS_PROJECTION

POSTGRES_URL = "postgresql://spotlight:spotlight@127.0.0.1:55432/spotlight"
MONGO_URL = "mongodb://127.0.0.1:57017/"
REDIS_URL = "redis://127.0.0.1:56379/0"
KAFKA = "127.0.0.1:59092"
S3 = "http://127.0.0.1:55000"
LEADERS = 20
CAP = 10


def profile() -> NpoProfile:
    """A bench NPO's profile; a registration id identifies one NPO."""
    return NpoProfile.of(
        name="Bench NPO",
        registration_id=f"BENCH-{uuid.uuid4().hex[:16]}",
        location=NpoLocation(region="Bay Area"),
        service_areas=["resume-writing"],
    )


OFFERING = OfferingContent.of(title="Resume clinic", categories=["resume_writing"])


class BenchLeaders:
    """A user directory in which every user holds the COMMUNITY_LEADER role."""

    def roles_of(self, user_id: str) -> frozenset[str] | None:
        return frozenset({"COMMUNITY_LEADER"})


@dataclass
class Watcher:
    """Tails the onboarding log; notes when each NPO's leader assignment lands."""

    app: OnboardingApplication
    seen: dict[str, tuple[float, int]] = field(default_factory=dict)
    changed: threading.Condition = field(default_factory=threading.Condition)
    stopping: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        position = self.app.recorder.max_notification_id() or 0
        while not self.stopping.is_set():
            batch = self.app.recorder.select_notifications(
                start=position, limit=500, inclusive_of_start=False
            )
            now = time.perf_counter()
            if not batch:
                time.sleep(0.001)
                continue
            with self.changed:
                for notification in batch:
                    if notification.topic.endswith("Npo.LeaderAssigned"):
                        npo_id = str(notification.originator_id)
                        self.seen[npo_id] = (now, notification.id)
                self.changed.notify_all()
            position = batch[-1].id

    def wait(self, npo_id: str, timeout: float = 60) -> tuple[float, int]:
        with self.changed:
            if not self.changed.wait_for(lambda: npo_id in self.seen, timeout):
                raise TimeoutError(f"NPO {npo_id} got no leader in {timeout} s")
            return self.seen[npo_id]


def measure(
    container: Container, watcher: Watcher, owner: Actor, count: int, burst: bool
) -> tuple[list[float], list[float]]:
    send = container.dispatcher.dispatch
    written: list[float] = []
    readable: list[float] = []
    ids = [send(CreateNpo(actor=owner, profile=profile())).ids[0] for _ in range(count)]
    started: dict[str, float] = {}

    def finish(npo_id: str) -> None:
        at, position = watcher.wait(npo_id)
        written.append((at - started[npo_id]) * 1000)
        lag = container.engine.wait_for("onboarding", position, [NPOS_PROJECTION], 30)
        if lag:
            raise TimeoutError(f"the view is {lag} events behind")
        readable.append((time.perf_counter() - started[npo_id]) * 1000)

    for npo_id in ids:
        started[npo_id] = time.perf_counter()
        send(CreateOffering(actor=owner, npo_id=UUID(npo_id), content=OFFERING))
        if not burst:
            finish(npo_id)
    if burst:
        for npo_id in ids:
            finish(npo_id)
    return written, readable


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "p50": round(statistics.median(ordered), 1),
        "p90": round(ordered[round(0.9 * (len(ordered) - 1))], 1),
        "p99": round(p99, 1),
        "max": round(ordered[-1], 1),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--npos", type=int, default=200)
    args = parser.parse_args(argv)
    run = uuid.uuid4().hex[:8]
    with (
        temporary_database(POSTGRES_URL) as database,
        tempfile.TemporaryDirectory() as tmp,
    ):
        settings = Settings(
            data_dir=Path(tmp),
            postgres_url=database,
            mongo_url=MONGO_URL,
            mongo_database=f"bench_onb_{run}",
            redis_url=REDIS_URL,
            kafka_bootstrap=KAFKA,
            s3_endpoint=S3,
            s3_bucket=f"bench-onb-{run}",
            onboarding_offerings_topic=f"bench-onb-offerings-{run}",
        )
        container = build_container(settings)
        assert isinstance(container.blobs, S3BlobStore)
        container.blobs.ensure_bucket()
        app = container.application(OnboardingApplication)
        admin = Actor(
            user_id="bench-admin", roles=frozenset({"ADMIN"}), correlation_id="bench"
        )
        owner = Actor(
            user_id=str(uuid.uuid4()), roles=frozenset({"NPO"}), correlation_id="bench"
        )
        # The bench's leaders are made up: its directory knows them all as leaders.
        app.users = BenchLeaders()
        send = container.dispatcher.dispatch
        watcher = Watcher(app)
        thread = threading.Thread(target=watcher.run, daemon=True)
        try:
            container.start_projections()
            thread.start()
            capacity = LEADERS * CAP
            send(SetPolicy(actor=admin, leader_npo_cap=CAP, communities_per_leader=3))
            community_id = send(
                CreateCommunity(actor=admin, name="Careers", tags=("resume-writing",))
            ).ids[0]
            for n in range(max(LEADERS, -(-(2 * args.npos + 5) // CAP))):
                send(
                    AddLeader(
                        actor=admin,
                        community_id=UUID(community_id),
                        user_id=f"leader-{n}",
                    )
                )
            capacity = max(capacity, 2 * args.npos + 5)
            # Warm up: the consumer joins its group; connections open.
            measure(container, watcher, owner, 3, burst=False)
            sequential = measure(container, watcher, owner, args.npos, burst=False)
            burst = measure(container, watcher, owner, args.npos, burst=True)
        finally:
            watcher.stopping.set()
            thread.join(5)
            container.documents.drop("offerings_v1")
            container.close()

    figures = {
        "npos": args.npos,
        "sequential_written": summary(sequential[0]),
        "sequential_readable": summary(sequential[1]),
        "burst_written": summary(burst[0]),
        "burst_readable": summary(burst[1]),
    }
    table = Table(title=f"Offering created → COMPLETE + leader ({args.npos} NPOs, ms)")
    table.add_column("run")
    for column in ("p50", "p90", "p99", "max"):
        table.add_column(column, justify="right")
    for name in (
        "sequential_written",
        "sequential_readable",
        "burst_written",
        "burst_readable",
    ):
        row = figures[name]
        assert isinstance(row, dict)
        table.add_row(
            name.replace("_", ", "),
            *(f"{row[c]:.1f}" for c in ("p50", "p90", "p99", "max")),
        )
    Console().print(table)
    print(json.dumps(figures, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
