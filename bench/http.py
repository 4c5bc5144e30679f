"""The project served over HTTP, measured from outside with wrk, against baselines
measured in the same run.

    python -m bench.http [--duration 10] [--connections 32] [--workers 1]
                         [--growth-events 1000000] [--skip-growth]

Serves the documented deployment on real PostgreSQL and Redis, in a fresh schema
(``SPOTLIGHT_POSTGRES_SCHEMA``, dropped at the end): ``spotlight serve`` (``--workers``
uvicorn workers) with ``SPOTLIGHT_RUN_PROJECTIONS_IN_API=false`` and one
``spotlight projections run`` worker, on a free port. Kafka, MongoDB and S3 stay
embedded: the measured routes do not touch them on the request path, and the
identity topic on the shared broker is not the bench's to fill. Users sign in
through the development issuer, as the README shows.

Cases (wrk, 2 threads, ``--connections``, ``--duration`` seconds each after a
2-second warm-up; wrk counts an answer slower than 2 s as a timeout):

1. ``GET /me``, cached, authenticated, round-robin over the users' tokens; baseline:
   a minimal FastAPI app with one ``async`` route (``bench.http_baselines``),
   served by uvicorn the same way, with the same wrk settings and requests.
2. ``PATCH /me`` (a new first name each time), each wrk thread on its own share of
   the users; baseline: a bare eventsourcing save loop on the same PostgreSQL (one
   thread, one event per save).
3. ``PATCH /me`` for one user from every connection: timeouts and 409s.
4. Growth: case 2 for ``--duration`` / 2 before and after seeding
   ``--growth-events`` events into the served identity event table (multi-row
   inserts of a trivial aggregate's events, which no projection reads; the
   projection worker passes over them before the second run).

Prints a table, then one JSON line of the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, Any

import httpx
import psycopg
import redis
from eventsourcing.application import Application
from eventsourcing.utils import get_topic
from psycopg import sql
from rich.console import Console
from rich.table import Table

from adapters.postgres.database import eventsourcing_environment
from bench import http_wrk
from bench.http_baselines import Counter, bare_saves
from bench.http_figures import Results, WrkRun, ratio
from projections.contracts import ViewNames
from projections.identity.user_cache import USER_CACHE_PROJECTION, USER_KEY

POSTGRES_URL = os.environ.get(
    "SPOTLIGHT_TEST_POSTGRES_URL",
    "postgresql://spotlight:spotlight@127.0.0.1:55432/spotlight",
)
REDIS_URL = os.environ.get("SPOTLIGHT_TEST_REDIS_URL", "redis://127.0.0.1:56379/0")
ROOT = Path(__file__).resolve().parent.parent
THREADS = 2
WARM_UP_SECONDS = 2.0
EVENTS_TABLE = "identity_events"
SEED_BATCH = 100_000
SEED_VERSIONS = 10  # events per seeded aggregate

console = Console(highlight=False, soft_wrap=True)


def say(message: str) -> None:
    console.print(f"[dim]{time.strftime('%H:%M:%S')}[/] {message}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# --- Processes -----------------------------------------------------------------------


class Served:
    """A process we started (in its own process group), logging to a file."""

    def __init__(
        self, name: str, argv: Sequence[str], env: dict[str, str], log: Path
    ) -> None:
        self.name = name
        self.log_path = log
        self._log: IO[bytes] = log.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - our own command line
            list(argv),
            env=env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def check(self) -> None:
        if self.process.poll() is not None:
            tail = self.log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(
                f"{self.name} exited ({self.process.returncode}):\n{tail}"
            )

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()


def wait_ready(served: Served, url: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        served.check()
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{served.name}: {url} not ready in {timeout:.0f} s")
        time.sleep(0.2)


def serving_env(
    schema: str, data_dir: Path, postgres_url: str, redis_url: str
) -> dict[str, str]:
    # The deployment is the bench's: no other SPOTLIGHT_ setting reaches it but
    # the access log's, which the minimal app follows too (``minimal_argv``).
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SPOTLIGHT_") or key == "SPOTLIGHT_ACCESS_LOG"
    }
    return env | {
        "SPOTLIGHT_POSTGRES_URL": postgres_url,
        "SPOTLIGHT_POSTGRES_SCHEMA": schema,
        "SPOTLIGHT_REDIS_URL": redis_url,
        "SPOTLIGHT_RUN_PROJECTIONS_IN_API": "false",
        "SPOTLIGHT_DATA_DIR": str(data_dir),
        # The worker resolves the seeded events' topic (``bench.http_baselines``).
        "PYTHONPATH": str(ROOT),
    }


def spotlight() -> str:
    found = Path(sys.executable).parent / "spotlight"
    if not found.exists():
        raise SystemExit(f"no {found}: run `make install` first")
    return str(found)


def serve_argv(port: int, workers: int) -> list[str]:
    return [
        spotlight(),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


def minimal_argv(port: int, workers: int) -> list[str]:
    """uvicorn serving the minimal app with ``spotlight serve``'s loop, parser,
    access log and workers."""
    from adapters.settings import Settings

    access_log = Settings().access_log
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.http_baselines:minimal_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        *([] if access_log else ["--no-access-log"]),
    ]


def without_access_log(log: Path) -> str:
    """The log without uvicorn's line per request (the minimal app's text lines,
    the project's JSON ones)."""
    lines = log.read_text(errors="replace").splitlines()
    return "\n".join(
        line
        for line in lines
        if ' HTTP/1.1" ' not in line and '"logger": "uvicorn.access"' not in line
    )


# --- Users ---------------------------------------------------------------------------


def sign_in(client: httpx.Client) -> tuple[str, str, str]:
    """A new user signed in through the development issuer: (id, token, position)."""
    nonce = uuid.uuid4().hex
    email = f"bench-{uuid.uuid4().hex[:12]}@example.org"
    issued = client.post(
        "/dev-issuer/token",
        json={"email": email, "nonce": nonce, "given_name": "Bench"},
    )
    issued.raise_for_status()
    answer = client.post(
        "/auth/sign-in", json={"id_token": issued.json()["id_token"], "nonce": nonce}
    )
    answer.raise_for_status()
    body = answer.json()
    return body["user_id"], body["access_token"], body["consistency_token"]


def read_me(client: httpx.Client, token: str, after: str | None = None) -> None:
    """``GET /me`` until it answers 200 (the worker has the user in its views)."""
    headers = {"Authorization": f"Bearer {token}"}
    if after:
        headers["Spotlight-After"] = after
    for _ in range(30):
        response = client.get("/me", headers=headers)
        if response.status_code == 200:
            return
        time.sleep(0.5)
    raise RuntimeError(f"GET /me answered {response.status_code}: {response.text}")


def users(base_url: str, count: int) -> list[tuple[str, str]]:
    """``count`` signed-in users (id, access token), each seen by ``GET /me``."""

    def one(_: int) -> tuple[str, str]:
        with httpx.Client(base_url=base_url, timeout=30) as client:
            user_id, token, position = sign_in(client)
            read_me(client, token, position)
            read_me(client, token)
            return user_id, token

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(count)))


# --- PostgreSQL ----------------------------------------------------------------------


# The bench's own statements go through one connection (autocommit), taken at the
# start: on a server shared with test runs, connections can run out mid-run.
Db = psycopg.Connection[tuple[Any, ...]]


@contextmanager
def fresh_schema(db: Db, prefix: str) -> Iterator[str]:
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    db.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield schema
    finally:
        db.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def event_count(db: Db, schema: str) -> int:
    row = db.execute(
        sql.SQL("SELECT coalesce(max(notification_id), 0) FROM {}.{}").format(
            sql.Identifier(schema), sql.Identifier(EVENTS_TABLE)
        )
    ).fetchone()
    return int(row[0]) if row else 0


def seed(db: Db, schema: str, events: int) -> float:
    """``events`` events of ``Counter`` aggregates (ten each) appended to the
    identity event table, in batches: the table lock and NOTIFY as the recorder
    takes and sends them. Returns events per second."""
    app = Application[uuid.UUID](env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    counter = Counter()
    counter.counted()
    stored = app.mapper.to_stored_event(counter.collect_events()[-1])
    topic, state = get_topic(Counter.Counted), stored.state
    app.close()
    table = sql.Identifier(schema, EVENTS_TABLE)
    started, done = time.perf_counter(), 0
    id_type = db.execute(
        "SELECT data_type FROM information_schema.columns WHERE table_schema = %s"
        " AND table_name = %s AND column_name = 'originator_id'",
        (schema, EVENTS_TABLE),
    ).fetchone()
    new_id = sql.SQL(
        "gen_random_uuid()"
        if id_type and id_type[0] == "uuid"
        else "gen_random_uuid()::text"
    )
    insert = sql.SQL(
        "INSERT INTO {table} (originator_id, originator_version, topic, state) "
        "SELECT a.id, v, %s, %s FROM "
        "(SELECT {new_id} AS id, n FROM generate_series(1, %s) n) a "
        "CROSS JOIN generate_series(1, %s) v ORDER BY a.n, v"
    ).format(table=table, new_id=new_id)
    while done < events:
        batch = min(SEED_BATCH, events - done)
        aggregates = -(-batch // SEED_VERSIONS)
        with db.transaction():
            db.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(table))
            db.execute(insert, (topic, state, aggregates, SEED_VERSIONS))
            db.execute(sql.SQL("NOTIFY {}").format(sql.Identifier(EVENTS_TABLE)))
        done += aggregates * SEED_VERSIONS
        elapsed = time.perf_counter() - started
        rate = done / elapsed
        say(
            f"  seeded {done:,}/{events:,} events, {rate:,.0f} events/s, "
            f"ETA {max(0.0, (events - done) / rate):.0f} s"
        )
    return done / (time.perf_counter() - started)


def wait_for_projections(
    db: Db, schema: str, head: int, worker: Served, timeout: float = 300.0
) -> float:
    """Seconds until every identity projection's position reaches ``head``."""
    started = time.perf_counter()
    query = sql.SQL(
        "SELECT t.projection, t.position FROM {}.projection_tracking t "
        "JOIN {}.projection_state s ON s.projection = t.projection "
        "AND s.active_version = t.version WHERE t.source = 'identity'"
    ).format(sql.Identifier(schema), sql.Identifier(schema))
    last_said = 0.0
    while True:
        worker.check()
        rows = db.execute(query).fetchall()
        behind = {name: position for name, position in rows if position < head}
        if rows and not behind:
            return time.perf_counter() - started
        elapsed = time.perf_counter() - started
        if elapsed > timeout:
            raise RuntimeError(f"projections still behind {head}: {behind}")
        if elapsed - last_said >= 5:
            last_said = elapsed
            lowest = min(behind.values()) if behind else 0
            say(f"  projections at {lowest:,} of {head:,} ({len(behind)} behind)")
        time.sleep(0.5)


# --- The run -------------------------------------------------------------------------


class Bench:
    def __init__(
        self, args: argparse.Namespace, wrk: str, workdir: Path, db: Db
    ) -> None:
        self.args = args
        self.db = db
        self.wrk = wrk
        self.workdir = workdir

    def measure(self, name: str, url: str, script: str, seconds: float) -> WrkRun:
        say(f"{name}: warm-up {WARM_UP_SECONDS:.0f} s, then {seconds:.0f} s")
        options = {"threads": THREADS, "connections": self.args.connections}
        http_wrk.run(
            self.wrk, url, script, self.workdir, seconds=WARM_UP_SECONDS, **options
        )
        result = http_wrk.run(
            self.wrk, url, script, self.workdir, seconds=seconds, **options
        )
        say(
            f"{name}: {result.rps:,.0f} req/s, p50 {result.p50_ms:.1f} ms, "
            f"p99 {result.p99_ms:.1f} ms, "
            f"statuses {dict(sorted(result.statuses.items()))}, "
            f"timeouts {result.timeouts}"
        )
        return result

    def cache_keys(self, schema: str, user_ids: list[str]) -> list[str]:
        """The users' keys in the Redis user cache (its live version)."""
        row = self.db.execute(
            sql.SQL(
                "SELECT active_version FROM {}.projection_state WHERE projection = %s"
            ).format(sql.Identifier(schema)),
            (USER_CACHE_PROJECTION,),
        ).fetchone()
        if row is None:
            return []
        prefix = ViewNames(USER_CACHE_PROJECTION, int(row[0])).key_prefix(USER_KEY)
        return [prefix + user_id for user_id in user_ids]

    def cached_users(self, schema: str, user_ids: list[str]) -> int:
        keys = self.cache_keys(schema, user_ids)
        with redis.Redis.from_url(self.args.redis_url) as client:
            return int(client.exists(*keys)) if keys else 0

    def forget_users(self, schema: str, user_ids: list[str]) -> None:
        """Delete the users' keys the user cache left in the shared Redis."""
        keys = self.cache_keys(schema, user_ids)
        if keys:
            with redis.Redis.from_url(self.args.redis_url) as client:
                client.delete(*keys)

    def run(self, schema: str) -> Results:
        args = self.args
        seconds = float(args.duration)
        stack = ExitStack()
        with stack:
            port = free_port()
            env = serving_env(
                schema, self.workdir / "data", args.postgres_url, args.redis_url
            )
            say(f"serving the project on :{port} ({args.workers} worker(s))")
            api = Served(
                "spotlight serve",
                serve_argv(port, args.workers),
                env,
                self.workdir / "serve.log",
            )
            stack.callback(api.stop)
            base = f"http://127.0.0.1:{port}"
            wait_ready(api, f"{base}/health/ready")
            say("starting `spotlight projections run`")
            worker = Served(
                "spotlight projections run",
                [spotlight(), "projections", "run"],
                env,
                self.workdir / "projections.log",
            )
            stack.callback(worker.stop)
            say(f"signing in {args.users} users through the development issuer")
            signed_in = users(base, args.users)
            stack.callback(
                self.forget_users, schema, [user_id for user_id, _ in signed_in]
            )
            tokens = [token for _, token in signed_in]
            cached = self.cached_users(schema, [user_id for user_id, _ in signed_in])
            say(
                f"{len(tokens)} users signed in and seen by GET /me; "
                f"{cached} in the Redis user cache"
            )
            if cached != len(tokens):
                raise RuntimeError("some users are not in the Redis user cache")

            minimal_port = free_port()
            say(f"serving the minimal FastAPI app on :{minimal_port}")
            minimal = Served(
                "minimal app",
                minimal_argv(minimal_port, args.workers),
                env,
                self.workdir / "minimal.log",
            )
            try:
                wait_ready(minimal, f"http://127.0.0.1:{minimal_port}/me")
                minimal_get = self.measure(
                    "minimal app GET /me",
                    f"http://127.0.0.1:{minimal_port}",
                    http_wrk.get_script(tokens),
                    seconds,
                )
            finally:
                minimal.stop()

            get = self.measure(
                "project GET /me (cached)", base, http_wrk.get_script(tokens), seconds
            )
            say(f"bare eventsourcing save loop: {min(seconds, 5.0):.0f} s")
            bare_env = {
                **eventsourcing_environment(args.postgres_url, 1, 0),
                "POSTGRES_SCHEMA": schema,
            }
            bare = bare_saves(bare_env, min(seconds, 5.0))
            say(
                f"bare saves: {bare.events_per_s:,.0f} events/s, "
                f"p50 {bare.p50_ms:.2f} ms, p99 {bare.p99_ms:.2f} ms"
            )
            patch = http_wrk.patch_script(tokens, THREADS)
            cmd = self.measure(f"PATCH /me, {len(tokens)} users", base, patch, seconds)
            hot = self.measure(
                "PATCH /me, one user",
                base,
                http_wrk.patch_script(tokens[:1], THREADS),
                seconds,
            )
            api.check()
            results = Results(
                minimal_get=minimal_get, get=get, bare=bare, cmd=cmd, hot=hot
            )
            if not args.skip_growth:
                self.growth(results, base, patch, schema, worker)
            api.check()
            worker.check()
        return results

    def growth(
        self, results: Results, base: str, patch: str, schema: str, worker: Served
    ) -> None:
        args = self.args
        short = max(3.0, args.duration / 2)
        db = self.db
        head = event_count(db, schema)
        say(f"growth: waiting for the projections to reach {head:,}")
        wait_for_projections(db, schema, head, worker)
        results.events_before_growth = head
        results.growth_empty = self.measure(
            f"growth: PATCH /me with {head:,} events", base, patch, short
        )
        say(f"growth: seeding {args.growth_events:,} events into {EVENTS_TABLE}")
        rate = seed(db, schema, args.growth_events)
        results.growth_events = args.growth_events
        head = event_count(db, schema)
        say(f"seeded at {rate:,.0f} events/s; the projection worker passes over them")
        waited = wait_for_projections(db, schema, head, worker)
        say(f"projections reached {head:,} in {waited:.1f} s")
        results.settings["growth_catch_up_s"] = round(waited, 1)
        results.settings["growth_seed_events_per_s"] = round(rate)
        results.growth_full = self.measure(
            f"growth: PATCH /me with {head:,} events", base, patch, short
        )


def print_table(results: Results, args: argparse.Namespace) -> None:
    def row(run: WrkRun) -> list[str]:
        return [f"{run.rps:,.0f}", f"{run.p50_ms:.1f}", f"{run.p99_ms:.1f}"]

    table = Table(
        title=f"The project over HTTP: wrk {THREADS} threads, {args.connections} "
        f"connections, {args.duration:g} s per case; {args.workers} uvicorn worker(s)"
    )
    for column in ("case", "req/s", "p50 ms", "p99 ms", "baseline"):
        table.add_column(
            column, justify="left" if column in {"case", "baseline"} else "right"
        )
    for column in ("req/s", "p50 ms", "p99 ms", "ratio"):
        table.add_column(column, justify="right")
    minimal, bare, get, cmd, hot = (
        results.minimal_get,
        results.bare,
        results.get,
        results.cmd,
        results.hot,
    )
    bare_row = [
        f"{bare.events_per_s:,.0f}",
        f"{bare.p50_ms:.1f}",
        f"{bare.p99_ms:.1f}",
    ]
    table.add_row(
        "GET /me, cached",
        *row(get),
        "minimal app (a)",
        *row(minimal),
        f"{ratio(get.rps, minimal.rps):.2f} "
        f"(p99 {ratio(get.p99_ms, minimal.p99_ms):.2f})",
    )
    table.add_row(
        f"PATCH /me, {args.users} users",
        *row(cmd),
        "bare save (b)",
        *bare_row,
        f"{ratio(cmd.rps, bare.events_per_s):.2f}",
    )
    table.add_row(
        "PATCH /me, one user (c)",
        *row(hot),
        "",
        "",
        "",
        "",
        "",
    )
    if results.growth_empty and results.growth_full:
        empty, full = results.growth_empty, results.growth_full
        table.add_row(
            f"PATCH /me, {results.events_before_growth + results.growth_events:,}"
            " events (d)",
            *row(full),
            f"{results.events_before_growth:,} events",
            *row(empty),
            f"p50 {ratio(full.p50_ms, empty.p50_ms):.2f} "
            f"(p99 {ratio(full.p99_ms, empty.p99_ms):.2f})",
        )
    wide = Console(width=max(console.width, 130), highlight=False)
    wide.print(table)
    notes = [
        "(a) one async route, no dependencies, served by uvicorn as `spotlight "
        "serve` is (same loop, parser, access log, workers); the same wrk requests.",
        "(b) a plain eventsourcing Application saving a new aggregate, one event "
        "per save, one thread, on the same PostgreSQL: events/s and per-save ms.",
        f"(c) {hot.share_pct(409):.1f} % of the answers were 409, {hot.timeouts} "
        f"timeouts (no answer within {http_wrk.TIMEOUT}); "
        f"{hot.ok / hot.duration_s if hot.duration_s else 0:,.1f} changes/s went "
        "through.",
    ]
    if results.growth_empty and results.growth_full:
        notes.append(
            f"(d) PATCH /me for {max(3.0, args.duration / 2):g} s after seeding "
            f"{results.growth_events:,} events of a trivial aggregate into the "
            "identity event table, vs before seeding; the projection worker passed "
            f"over them in {results.settings.get('growth_catch_up_s')} s before the "
            "second run."
        )
    non_2xx = {
        name: run.non_2xx_3xx
        for name, run in (("GET", get), ("PATCH", cmd), ("minimal", minimal))
        if run.non_2xx_3xx or run.timeouts
    }
    if non_2xx:
        notes.append(f"non-2xx answers or timeouts: {non_2xx}")
    for note in notes:
        wide.print(note, markup=False)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--users", type=int, default=128)
    parser.add_argument("--growth-events", type=int, default=1_000_000)
    parser.add_argument("--skip-growth", action="store_true")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--redis-url", default=REDIS_URL)
    args = parser.parse_args(argv)
    if args.users < 2 * args.connections:
        say(
            f"[yellow]--users {args.users} is under twice --connections "
            f"{args.connections}: one user's PATCH requests may overlap (409s)[/]"
        )

    wrk = http_wrk.find_or_install(say)
    load_before = os.getloadavg()[0]
    say(f"load average (1 min) before the run: {load_before:.2f}")
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="bench-http-") as tmp,
        psycopg.connect(args.postgres_url, autocommit=True) as db,
        fresh_schema(db, "bench_http") as schema,
    ):
        say(f"schema {schema}")
        try:
            results = Bench(args, wrk, Path(tmp), db).run(schema)
        except Exception:
            for log in sorted(Path(tmp).glob("*.log")):
                console.print(f"--- {log.name} (last lines but the access log)")
                console.print(without_access_log(log)[-3000:], markup=False)
            raise
    results.settings = {
        "workers": args.workers,
        "connections": args.connections,
        "duration_s": args.duration,
        "users": args.users,
        "loop": "uvloop",  # both servers, as `spotlight serve` runs
        "http": "httptools",
        "load_avg_before": round(load_before, 2),
        "load_avg_after": round(os.getloadavg()[0], 2),
        **results.settings,
    }
    say(f"done in {time.perf_counter() - started:.0f} s")
    print_table(results, args)
    print(json.dumps(results.summary()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
