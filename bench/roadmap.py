"""The roadmap's reads on real PostgreSQL and Redis: a module marked done until its
new percentage is seen, cached against uncached reads, and a read as of a moment
on a roadmap of 1,000 events.

    python -m bench.roadmap --marks 200 --reads 500 --history 1000

Runs the composed container in process (its projections running, woken by each
command) against real PostgreSQL (a fresh schema, dropped at the end) and Redis;
reads go through the HTTP app (``GET /me/roadmap``) as a signed-in candidate. The
roadmap is driven by command messages through the dispatcher (as any entry point
sends them), by the candidate and their mentor.

- *Mark → seen*: ``--marks`` modules marked done one at a time (``MarkModule``),
  from just before the command until ``GET /me/roadmap?after=<its token>`` answers
  with the new percentage (read-your-writes: the route waits for the view, the
  cache answers when it holds the mark). Baseline: the command alone.
- *Cached vs uncached*: ``--reads`` ``GET /me/roadmap`` of a roadmap of a dozen
  items, answered from Redis; baseline: the same route reading PostgreSQL's view.
- *As of*: ``--reads`` / 5 ``GET /me/roadmap?as_of=`` (a moment halfway through)
  on a roadmap of ``--history`` events, replayed from the event store each time;
  baseline: the same roadmap now (cached).

Prints a table, then one JSON line of the figures (milliseconds).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table

from adapters.bootstrap import Container, build_container
from adapters.http.app import create_app
from adapters.settings import Settings
from bench.onboarding_flow import POSTGRES_URL, REDIS_URL
from bench.replay_figures import percentile
from commands.base import Actor, Command, CommandResult
from commands.careers.application import CareersApplication
from commands.careers.messages import (
    ApproveRoadmapItem,
    CompleteAssessment,
    MarkModule,
    RequestRoadmapItem,
    SaveMentorProfile,
)
from domain.careers.assessment import NeedsAssessment
from domain.careers.mentor import MentorProfile
from domain.careers.roadmap import Roadmap
from domain.careers.roadmap_items import MAX_MODULES, ItemSpec
from projections.careers.roadmap_document import RoadmapDocument
from queries.careers.roadmaps import RoadmapReads, Wanted


class Roles:
    """The careers users' roles: the bench's candidates and their mentor."""

    def __init__(self) -> None:
        self.roles: dict[str, frozenset[str]] = {}

    def roles_of(self, user_id: str) -> frozenset[str] | None:
        return self.roles.get(user_id)


class UncachedReads(RoadmapReads):
    """The same reads, from PostgreSQL's view only (the baseline)."""

    def document(
        self, candidate_id: str, wanted: Wanted | None = None, *, use_cache: bool = True
    ) -> RoadmapDocument:
        return super().document(candidate_id, wanted, use_cache=False)


def actor(user_id: str, role: str) -> Actor:
    return Actor(user_id=user_id, roles=frozenset({role}), correlation_id="bench")


class Bench:
    def __init__(self, client: TestClient, container: Container) -> None:
        self.client = client
        self.container = container
        self.roles = Roles()
        container.application(CareersApplication).users = self.roles
        self.mentor_id = str(uuid.uuid4())
        self.roles.roles[self.mentor_id] = frozenset({"CAREER_MENTOR"})
        self.send(
            SaveMentorProfile(
                actor=actor(self.mentor_id, "CAREER_MENTOR"),
                profile=MentorProfile.of(categories=["resume_writing"]),
            )
        )

    def send(self, command: Command[CommandResult]) -> CommandResult:
        return self.container.dispatcher.dispatch(command)

    def candidate(self) -> tuple[str, dict[str, str]]:
        """A signed-in CANDIDATE, assessed and assigned to the mentor."""
        nonce = uuid.uuid4().hex
        email = f"bench-{uuid.uuid4().hex[:8]}@example.org"
        id_token = self.client.post(
            "/dev-issuer/token",
            json={"email": email, "nonce": nonce, "given_name": "Bench"},
        ).json()["id_token"]
        body = self.client.post(
            "/auth/sign-in",
            json={"id_token": id_token, "nonce": nonce, "roles": ["CANDIDATE"]},
        ).json()
        user_id: str = body["user_id"]
        self.roles.roles[user_id] = frozenset({"CANDIDATE"})
        self.send(
            CompleteAssessment(
                actor=actor(user_id, "CANDIDATE"),
                candidate_id=user_id,
                assessment=NeedsAssessment.of(
                    needs={"resume_writing": {"level": "urgent"}},
                    region="Bavaria",
                    country="DE",
                    preferred_format="online",
                    languages=["en"],
                    availability="evenings",
                ),
            )
        )
        return user_id, {"Authorization": f"Bearer {body['access_token']}"}

    def item(self, candidate_id: str, modules: int) -> str:
        """An approved goal with ``modules`` modules."""
        item_id = str(uuid.uuid4())
        spec = ItemSpec.goal(
            "Bench goal", None, [{"title": f"Module {n}"} for n in range(modules)]
        )
        self.send(
            RequestRoadmapItem(
                actor=actor(candidate_id, "CANDIDATE"),
                candidate_id=candidate_id,
                item_id=item_id,
                goal=spec,
            )
        )
        self.send(
            ApproveRoadmapItem(
                actor=actor(self.mentor_id, "CAREER_MENTOR"),
                candidate_id=candidate_id,
                item_id=item_id,
            )
        )
        return item_id

    def mark(self, candidate_id: str, item_id: str, module: int, done: bool) -> str:
        result = self.send(
            MarkModule(
                actor=actor(candidate_id, "CANDIDATE"),
                candidate_id=candidate_id,
                item_id=item_id,
                module_id=f"m{module + 1}",
                done=done,
            )
        )
        assert result.consistency_token is not None
        return result.consistency_token

    def read(self, headers: dict[str, str], **params: str) -> dict[str, Any]:
        response = self.client.get("/me/roadmap", params=params, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"GET /me/roadmap answered {response.status_code}")
        body: dict[str, Any] = response.json()
        return body


def mark_to_seen(bench: Bench, marks: int) -> tuple[list[float], list[float]]:
    """Each mark until its percentage is read back; and the command alone."""
    candidate_id, headers = bench.candidate()
    app = bench.container.application(CareersApplication)
    seen, commands = [], []
    item_id = ""
    for n in range(marks):
        if n % (MAX_MODULES - 1) == 0:  # a new item; none completes
            item_id = bench.item(candidate_id, MAX_MODULES)
        started = time.perf_counter()
        token = bench.mark(candidate_id, item_id, n % (MAX_MODULES - 1), True)
        sent = time.perf_counter()
        body = bench.read(headers, after=token)
        finished = time.perf_counter()
        roadmap: Roadmap = app.repository.get(Roadmap.id_for(candidate_id))
        if Decimal(str(body["percent"])) != roadmap.percent:
            raise RuntimeError(f"read {body['percent']}, not {roadmap.percent}")
        seen.append((finished - started) * 1000)
        commands.append((sent - started) * 1000)
    return seen, commands


def timed(run: Callable[[], object], count: int) -> list[float]:
    for _ in range(min(10, count)):  # warm up
        run()
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def cached_and_uncached(bench: Bench, reads: int) -> tuple[list[float], list[float]]:
    candidate_id, headers = bench.candidate()
    last = ""
    for _ in range(12):
        item_id = bench.item(candidate_id, 6)
        last = bench.mark(candidate_id, item_id, 0, True)
    bench.read(headers, after=last)
    source, _, position = last.partition(":")
    engine = bench.container.engine
    engine.wait_for(source, int(position), ["careers_roadmap_cache"], 30)
    reads_before = bench.container.roadmap_reads
    hits = reads_before.cache_hits
    cached = timed(lambda: bench.read(headers), reads)
    if reads_before.cache_hits - hits < reads:
        raise RuntimeError("the cached reads were not answered by the cache")
    bench.container.roadmap_reads = UncachedReads(
        bench.container.views, bench.container.cache
    )
    try:
        uncached = timed(lambda: bench.read(headers), reads)
    finally:
        bench.container.roadmap_reads = reads_before
    return cached, uncached


def as_of(bench: Bench, events: int, reads: int) -> tuple[list[float], list[float]]:
    """Reads as of a moment halfway through ``events`` events; the roadmap now."""
    candidate_id, headers = bench.candidate()
    item_id = bench.item(candidate_id, 10)
    recorded, halfway, last = 3, "", ""  # started, requested, approved
    for n in range(events - recorded):
        # Modules 1 to 9 done, then undone, and so on: each mark is an event (the
        # tenth module stays undone, so the item never completes).
        last = bench.mark(candidate_id, item_id, n % 9, (n // 9) % 2 == 0)
        if not halfway and recorded + n + 1 >= events // 2:
            halfway = datetime.now(UTC).isoformat()
    bench.read(headers, after=last)
    past = timed(lambda: bench.read(headers, as_of=halfway), reads)
    now = timed(lambda: bench.read(headers), reads)
    return past, now


def figures(samples: list[float]) -> tuple[float, float]:
    return (
        round(percentile(samples, 50), 3),
        round(percentile(samples, 99), 3),
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--marks", type=int, default=200)
    parser.add_argument("--reads", type=int, default=500)
    parser.add_argument("--history", type=int, default=1000)
    args = parser.parse_args(argv)
    schema = f"bench_roadmap_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(
                data_dir=Path(tmp),
                postgres_url=POSTGRES_URL,
                postgres_schema=schema,
                redis_url=REDIS_URL,
                run_projections_in_api=True,
            )
            container = build_container(settings)
            try:
                with TestClient(create_app(container=container)) as client:
                    bench = Bench(client, container)
                    seen, commands = mark_to_seen(bench, args.marks)
                    cached, uncached = cached_and_uncached(bench, args.reads)
                    past, now = as_of(bench, args.history, max(20, args.reads // 5))
            finally:
                container.close()
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')

    rows = {
        "mark_to_seen": (figures(seen), "command alone", figures(commands)),
        "get_cached": (figures(cached), "PostgreSQL view", figures(uncached)),
        "as_of": (figures(past), "the roadmap now", figures(now)),
    }
    table = Table(title="The roadmap's reads (ms)")
    for column in ("measure", "p50", "p99", "baseline", "baseline p50", "baseline p99"):
        table.add_column(column, justify="left" if "measure" in column else "right")
    labels = {
        "mark_to_seen": f"mark → seen in GET /me/roadmap ({args.marks})",
        "get_cached": f"GET /me/roadmap, cached ({args.reads})",
        "as_of": f"GET ?as_of= over {args.history} events",
    }
    for key, ((p50, p99), name, (b50, b99)) in rows.items():
        table.add_row(
            labels[key], f"{p50:.2f}", f"{p99:.2f}", name, f"{b50:.2f}", f"{b99:.2f}"
        )
    Console().print(table)
    print(
        json.dumps(
            {
                "benchmark": "roadmap",
                "marks": args.marks,
                "reads": args.reads,
                "history_events": args.history,
                **{
                    f"{key}{part}_{pct}_ms": value
                    for key, (ours, _, theirs) in rows.items()
                    for part, pair in (("", ours), ("_baseline", theirs))
                    for pct, value in zip(("p50", "p99"), pair, strict=True)
                },
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
