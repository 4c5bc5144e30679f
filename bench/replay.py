"""Replay benchmark: our projection engine against eventsourcing's stock runner.

    python -m bench.replay --events 100000

1. Appends N realistic events (``bench.domain``) to PostgreSQL, in a fresh schema.
2. Replays them with ``ProjectionEngine.catch_up`` into PostgreSQL tables (the
   headline ``ours_eps``), then into MongoDB documents and Redis values.
3. Replays a sample of them with eventsourcing's ``ProjectionRunner`` into the same
   PostgreSQL tables (one transaction per event).
4. Measures read-your-writes: commands saved through an application whose
   ``on_recorded`` wakes the started engine, each followed by ``engine.wait_for``.

Prints a table, then one JSON line of the figures. Everything it created (schema,
database, keys) is removed at the end. One driver, kept in one module (about 470
lines) so the steps above read in order; its figures are in ``bench.replay_figures``.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import math
import pstats
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any
from urllib.parse import quote
from uuid import UUID, uuid4

import psycopg
import pymongo.errors
import redis
import redis.exceptions
from eventsourcing.projection import ProjectionRunner
from pymongo import MongoClient
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from adapters.embedded.bus import InMemoryMessageBus
from adapters.postgres.database import eventsourcing_environment
from adapters.postgres.views import PostgresRelationalStore
from adapters.redis.cache import RedisCache
from bench.domain import BenchPlatform, Enrollment, Expected, workload
from bench.replay_figures import Figures, RateColumn, percentile
from bench.stock import StockPlatformProjection, StockPlatformView, StockProgress
from bench.views.cache import cache_projection
from bench.views.documents import BulkMongoDocuments, PlatformDocuments
from bench.views.tables import PlatformTables
from domain.base import acting_as
from ports.relational import RelationalStore
from projections.contracts import Projection, ViewPorts
from projections.engine import ProjectionEngine

POSTGRES_URL = "postgresql://spotlight:spotlight@127.0.0.1:55432/spotlight"
REDIS_URL = "redis://127.0.0.1:56379/0"
MONGO_URL = "mongodb://127.0.0.1:57017/"


class Bench:
    def __init__(self, args: argparse.Namespace, console: Console) -> None:
        self.args = args
        self.console = console
        self.run_id = uuid4().hex[:10]
        self.schema = f"bench_{self.run_id}"
        self.env = {
            **eventsourcing_environment(args.postgres_url, 5, 5),
            "POSTGRES_SCHEMA": self.schema,
        }
        self.figures = Figures(
            events=args.events,
            batch_size=args.batch_size,
            documents_batch_size=args.documents_batch_size,
        )

    # -- resources ----------------------------------------------------------------

    @contextmanager
    def resources(self) -> Iterator[None]:
        with psycopg.connect(self.args.postgres_url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{self.schema}"')
        with ExitStack() as stack:
            stack.callback(self._drop_schema)
            self.app = BenchPlatform(env=self.env)
            stack.callback(self.app.close)
            options = quote(f"-csearch_path={self.schema}")
            separator = "&" if "?" in self.args.postgres_url else "?"
            self.store = PostgresRelationalStore(
                f"{self.args.postgres_url}{separator}options={options}"
            )
            stack.callback(self.store.close)
            self.documents = BulkMongoDocuments(
                with_socket_timeout(self.args.mongo_url), f"bench_{self.run_id}"
            )
            stack.callback(self.documents.close)
            stack.callback(self._drop_documents)
            self.cache = RedisCache(self.args.redis_url, timeout_seconds=10)
            stack.callback(self.cache.close)
            self.cache_projection = cache_projection(f"bench:{self.run_id}")
            stack.callback(self._drop_cache_keys)
            self.ports = ViewPorts(self.documents, self.cache, InMemoryMessageBus())
            self.engines: list[ProjectionEngine] = []
            stack.callback(self._stop_engines)
            yield

    def new_engine(
        self, projections: Sequence[type[Projection]], batch_size: int
    ) -> ProjectionEngine:
        engine = ProjectionEngine(
            self.store,
            {self.app.name: self.app},
            projections,
            self.ports,
            batch_size=batch_size,
        )
        self.engines.append(engine)
        return engine

    def _stop_engines(self) -> None:
        for engine in self.engines:
            engine.stop()

    def _drop_schema(self) -> None:
        with psycopg.connect(self.args.postgres_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')

    def _drop_documents(self) -> None:
        self.documents._client.drop_database(f"bench_{self.run_id}")

    def _drop_cache_keys(self) -> None:
        client = self.cache.client
        keys = list(client.scan_iter(match=f"bench:{self.run_id}:*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])

    # -- steps --------------------------------------------------------------------

    def append(self) -> Expected:
        total = self.args.events
        batches, expected = workload(total)
        started = time.perf_counter()
        with (
            self._progress() as progress,
            acting_as("bench-seeder", uuid4().hex),
        ):
            task = progress.add_task("Appending events", total=total)
            for aggregates in batches:
                recordings = self.app.save(*aggregates)
                progress.advance(task, len(recordings))
        self.figures.append_seconds = time.perf_counter() - started
        assert expected.events == total, expected
        return expected

    def _progress(self) -> Progress:
        return Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self.console,
        )

    def replay_ours(self, expected: Expected) -> None:
        figures, args = self.figures, self.args
        figures.ours_seconds = self._timed_catch_up(PlatformTables, args.batch_size)
        check_tables(self.store, expected)
        figures.mongo_seconds = self._timed_catch_up(
            PlatformDocuments, args.documents_batch_size
        )
        figures.redis_seconds = self._timed_catch_up(
            self.cache_projection, args.batch_size
        )
        self.check_documents(expected)

    def _timed_catch_up(self, projection: type[Projection], batch_size: int) -> float:
        """Replay the whole log into one projection (one engine per projection, so
        each can have its own batch size)."""
        engine = self.new_engine([projection], batch_size)
        engine.setup()
        name = projection.name
        with self.console.status(f"Replaying into {name} with our engine…"):
            profiler = cProfile.Profile() if self.args.profile else None
            started = time.perf_counter()
            if profiler is not None:
                profiler.enable()
            applied = engine.catch_up(name)
            if profiler is not None:
                profiler.disable()
            seconds = time.perf_counter() - started
        assert applied == self.args.events, (name, applied)
        self.console.print(
            f"  {name}: {applied:,} events in {seconds:.2f} s "
            f"({applied / seconds:,.0f} events/s)"
        )
        if profiler is not None:
            stats = pstats.Stats(profiler, stream=sys.stderr)
            stats.sort_stats("tottime").print_stats(25)
        return seconds

    def check_documents(self, expected: Expected) -> None:
        prefix = f"{PlatformDocuments.name}"
        offerings = self.documents.find("offerings_v1")
        roadmaps = self.documents.find("roadmaps_v1")
        assert len(offerings) == expected.offerings, (prefix, len(offerings))
        assert len(roadmaps) == expected.enrollments, (prefix, len(roadmaps))
        done = sum(1 for r in roadmaps if r.get("status") == "completed")
        assert done == expected.completed, (prefix, done)
        keys = self.cache.keys(f"bench:{self.run_id}:roadmap:v1:")
        assert len(keys) == expected.enrollments, ("cache", len(keys))

    def replay_stock(self) -> None:
        sample = min(self.args.stock_sample, self.args.events)
        notifications = self.app.recorder.select_notifications(start=None, limit=sample)
        progress = StockProgress(target=notifications[-1].id)
        StockPlatformView.progress = progress
        with (
            self.console.status(
                f"Replaying the first {sample:,} events with the stock runner…"
            ),
            ProjectionRunner(
                application_class=BenchPlatform,
                projection_class=StockPlatformProjection,
                view_class=StockPlatformView,
                env=self.env,
            ) as runner,
        ):
            deadline = time.monotonic() + self.args.stock_timeout
            while not progress.reached.wait(0.5):
                if runner.is_interrupted.is_set():
                    runner.run_forever(timeout=0)  # raises the runner's error
                    raise RuntimeError("the stock runner stopped early")
                if time.monotonic() > deadline:
                    raise TimeoutError("the stock runner did not reach the sample")
            rows = runner.view.count_rows("enrollments")
        assert rows > 0
        self.figures.stock_events = progress.applied_when_reached
        self.figures.stock_seconds = progress.seconds
        self.console.print(
            f"  stock: {progress.applied_when_reached:,} events in "
            f"{progress.seconds:.2f} s ({progress.events_per_second():,.1f} events/s)"
        )

    def read_your_writes(self) -> None:
        app, figures = self.app, self.figures
        engine = self.new_engine(
            [PlatformTables, PlatformDocuments, self.cache_projection],
            self.args.batch_size,
        )
        with self.store.transaction() as session:
            rows = session.fetchall("SELECT id FROM offerings_v1 LIMIT 100")
        offering_ids = [UUID(str(r[0])) for r in rows]
        app.on_recorded(engine.wake)
        engine.start()
        others = [PlatformDocuments.name, self.cache_projection.name]
        self._wait_until_caught_up(engine)
        with self._progress() as progress:
            task = progress.add_task("Read-your-writes", total=self.args.commands)
            for i in range(self.args.commands):
                with acting_as("bench-candidate", uuid4().hex):
                    enrollment = Enrollment(
                        offering_ids[i % len(offering_ids)], uuid4()
                    )
                began = time.perf_counter()
                result = app.save_changes(enrollment)
                saved = time.perf_counter()
                assert result.position is not None
                lag = engine.wait_for(
                    app.name, result.position, [PlatformTables.name], 2.0
                )
                seen = time.perf_counter()
                lag += engine.wait_for(app.name, result.position, others, 2.0)
                everywhere = time.perf_counter()
                figures.command_ms.append((saved - began) * 1000)
                figures.ryw_waits_ms.append((seen - saved) * 1000)
                figures.ryw_all_waits_ms.append((everywhere - saved) * 1000)
                figures.ryw_timeouts += lag > 0
                progress.advance(task)
        engine.stop()

    def _wait_until_caught_up(self, engine: ProjectionEngine) -> None:
        head = self.app.recorder.max_notification_id() or 0
        names = list(engine.projection_types)
        if engine.wait_for(self.app.name, head, names, 30.0):
            raise TimeoutError("the started engine did not catch up")

    # -- report -------------------------------------------------------------------

    def report(self) -> dict[str, Any]:
        f = self.figures
        summary = f.summary()
        table = Table(
            title=f"Replay of {f.events:,} events (batch size {f.batch_size})"
        )
        table.add_column("What")
        table.add_column("Events", justify="right")
        table.add_column("Seconds", justify="right")
        table.add_column("Events/s", justify="right")

        def row(what: str, events: int, seconds: float) -> None:
            eps = events / seconds if seconds else math.nan
            table.add_row(what, f"{events:,}", f"{seconds:.2f}", f"{eps:,.0f}")

        row("Append to PostgreSQL (setup)", f.events, f.append_seconds)
        row("Ours → PostgreSQL views (ours_eps)", f.events, f.ours_seconds)
        row(
            f"Ours → MongoDB (FerretDB) documents, batch {f.documents_batch_size:,}",
            f.events,
            f.mongo_seconds,
        )
        row("Ours → Redis values", f.events, f.redis_seconds)
        row("Ours → all three stores", f.events, f.all_stores_seconds)
        row(
            f"Stock ProjectionRunner → PostgreSQL views "
            f"(first {f.stock_events:,} events only)",
            f.stock_events,
            f.stock_seconds,
        )
        table.add_section()
        table.add_row("Ratio ours / stock", "", "", f"x {summary['ratio']:,.1f}")
        table.add_section()
        for label, values in (
            ("Read-your-writes wait, PostgreSQL view", f.ryw_waits_ms),
            ("Read-your-writes wait, all views", f.ryw_all_waits_ms),
            ("Command (save) time", f.command_ms),
        ):
            table.add_row(
                f"{label} (ms, {len(values):,} commands)",
                f"p50 {percentile(values, 50):.2f}",
                f"p99 {percentile(values, 99):.2f}",
                f"max {max(values, default=math.nan):.2f}",
            )
        if f.ryw_timeouts:
            table.add_row("Read-your-writes timeouts (2 s)", str(f.ryw_timeouts))
        self.console.print(table)
        return summary


def with_socket_timeout(url: str, millis: int = 60_000) -> str:
    """Never wait for ever on a server that stopped answering."""
    if "sockettimeoutms" in url.lower():
        return url
    separator = "&" if "?" in url else ("?" if url.endswith("/") else "/?")
    return f"{url}{separator}socketTimeoutMS={millis}"


def check_tables(store: RelationalStore, expected: Expected) -> None:
    """The PostgreSQL views show exactly what the generated events imply."""
    with store.transaction() as session:
        npos = session.fetchone(
            "SELECT count(*), sum(offerings), "
            "count(*) FILTER (WHERE status = 'verified') FROM npos_v1"
        )
        offerings = session.fetchone(
            "SELECT count(*), sum(enrolled), sum(completed), "
            "count(*) FILTER (WHERE status = 'closed') FROM offerings_v1"
        )
        enrollments = session.fetchone(
            "SELECT count(*), sum(step), "
            "count(*) FILTER (WHERE status = 'withdrawn') FROM enrollments_v1"
        )
    found = (npos, offerings, enrollments)
    wanted = (
        (expected.npos, expected.offerings, expected.verified),
        (expected.offerings, expected.enrollments, expected.completed, expected.closed),
        # Steps are completed in order, so the sum of last steps counts them all.
        (expected.enrollments, expected.steps, expected.withdrawn),
    )
    normalised = tuple(tuple(int(v or 0) for v in row or ()) for row in found)
    if normalised != wanted:
        raise AssertionError(f"views differ: found {normalised}, wanted {wanted}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.replay", description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument(
        "--batch-size",
        type=int,
        default=1000,
        help="the engine's batch size (the service's default is 1000)",
    )
    parser.add_argument(
        "--documents-batch-size",
        type=int,
        default=10_000,
        help="batch size for the MongoDB projection: on FerretDB an update costs "
        "~50 inserts, and larger batches turn more of them into inserts",
    )
    parser.add_argument(
        "--stock-sample",
        type=int,
        default=5000,
        help="events replayed by the stock runner (it is slow); its events/s is "
        "measured over this first part of the log",
    )
    parser.add_argument("--stock-timeout", type=float, default=600.0)
    parser.add_argument("--commands", type=int, default=1000)
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--mongo-url", default=MONGO_URL)
    parser.add_argument("--redis-url", default=REDIS_URL)
    parser.add_argument(
        "--profile", action="store_true", help="cProfile our replays (to stderr)"
    )
    return parser.parse_args(argv)


def preflight(args: argparse.Namespace) -> list[str]:
    """Each server that does not answer within a few seconds, and why."""
    problems: list[str] = []
    try:
        psycopg.connect(args.postgres_url, connect_timeout=3).close()
    except psycopg.Error as error:
        problems.append(f"PostgreSQL at {args.postgres_url}: {error}")
    mongo: MongoClient[dict[str, Any]] = MongoClient(
        args.mongo_url,
        serverSelectionTimeoutMS=3000,
        connectTimeoutMS=3000,
        socketTimeoutMS=5000,
    )
    try:
        mongo.admin.command("ping")
    except pymongo.errors.PyMongoError as error:
        problems.append(f"MongoDB (FerretDB) at {args.mongo_url}: {error}")
    finally:
        mongo.close()
    cache = redis.Redis.from_url(args.redis_url, socket_timeout=3)
    try:
        cache.ping()
    except redis.exceptions.RedisError as error:
        problems.append(f"Redis at {args.redis_url}: {error}")
    finally:
        cache.close()
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console()
    problems = preflight(args)
    if problems:
        for problem in problems:
            console.print(f"[red]not answering[/red] {problem}")
        console.print("Check `scripts/services status` (or pass --*-url).")
        return 2
    bench = Bench(args, console)
    with bench.resources():
        expected = bench.append()
        bench.replay_ours(expected)
        bench.replay_stock()
        bench.read_your_writes()
        summary = bench.report()
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
