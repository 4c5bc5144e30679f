"""``spotlight serve`` in several processes, as deployed: API processes without the
projections (``--workers N``, or several of them) and a ``spotlight projections
run`` worker, all subprocesses on an empty database of their own.

Started together they take turns creating their tables and all come up; a query
given ``?after=`` reflects a write whichever process or worker answered it (each
has its own position board, fed by NOTIFY).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.faults.deployment import (
    SPOTLIGHT,
    WORKER_STARTED,
    Process,
    environment,
    free_port,
    tail,
)
from tests.support.identity import SignedIn, sign_in
from tests.support.metrics import value
from tests.support.onboarding_http import fresh_database

START_TIMEOUT_SECONDS = 120
PUBLIC_BASE_URL = "http://api.spotlight.test"
# Small pools: a process holds each application's pool open, and the server's
# connections are shared with every other test running at the same time.
POOLS = {"postgres_pool_size": 1, "postgres_max_overflow": 4}
# Which worker of a ``--workers`` API answers is the kernel's choice: readiness
# must answer 200 this many times in a row, each on a connection of its own.
READY_IN_A_ROW = 8
# What a process that failed, or a worker that died and was replaced, leaves in
# its output.
FAILURES = ("Traceback", " died", "failed to start")
STARTED = "Application startup complete."  # once per worker process


@dataclass
class Api:
    """One ``spotlight serve`` process (with ``--workers``, its supervisor)."""

    process: Process
    base_url: str
    workers: int = 1

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=10)

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        """A request on a connection of its own."""
        with self.client() as client:
            return client.get(path, **kwargs)  # type: ignore[arg-type]


def api(
    name: str,
    database_url: str,
    tmp_path: Path,
    *,
    workers: int | None = None,
    settings: Mapping[str, object] | None = None,
) -> Api:
    """An API without the projections; ``workers`` given as ``--workers``;
    ``settings`` (``Settings`` field names) add to or replace the defaults."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    values: dict[str, object] = {
        "postgres_url": database_url,
        "data_dir": tmp_path,
        "host": "127.0.0.1",
        "port": port,
        # Every process of a deployment is the one API its tokens name.
        "public_base_url": PUBLIC_BASE_URL,
        "run_projections_in_api": False,
        "access_log": False,
        **POOLS,
        **(settings or {}),
    }
    env = environment(values)
    argv = [str(SPOTLIGHT), "serve"]
    if workers is not None:
        argv += ["--workers", str(workers)]
    count = workers or int(str(values.get("workers", 1)))
    return Api(Process(name, argv, env, tmp_path / f"{name}.log"), base_url, count)


def projections_worker(database_url: str, tmp_path: Path) -> Process:
    env = environment({"postgres_url": database_url, "data_dir": tmp_path, **POOLS})
    argv = [str(SPOTLIGHT), "projections", "run"]
    return Process("the worker", argv, env, tmp_path / "worker.log")


@contextmanager
def started_together(apis: Sequence[Api], worker: Process) -> Iterator[None]:
    """Every process started at the same moment; stopped afterwards. Fails naming
    the output of any that did not come up."""
    processes = [a.process for a in apis] + [worker]
    try:
        for process in processes:
            process.start()
        for one in apis:
            wait_until_ready(one)
        wait_until_started(worker)
        yield
    finally:
        for process in processes:
            process.stop()


def wait_until_ready(one: Api) -> None:
    """Until every worker process has started its application, and readiness
    answers 200 ``READY_IN_A_ROW`` times."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    in_a_row = 0
    while in_a_row < READY_IN_A_ROW or started(one) < one.workers:
        if not one.process.alive:
            raise one.process.failed_to_start("exited during start-up")
        if time.monotonic() > deadline:
            raise one.process.failed_to_start(
                f"was not ready in {START_TIMEOUT_SECONDS}s"
            )
        try:
            ready = one.get("/health/ready").status_code == 200
        except httpx.HTTPError:
            ready = False
        in_a_row = in_a_row + 1 if ready else 0
        if not ready:
            time.sleep(0.2)


def started(one: Api) -> int:
    """How many of its worker processes have started their application."""
    return one.process.output().count(STARTED)


def wait_until_started(worker: Process) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while WORKER_STARTED not in worker.output():
        if not worker.alive or time.monotonic() > deadline:
            raise worker.failed_to_start("did not start")
        time.sleep(0.1)


def assert_nothing_failed(processes: Sequence[Process]) -> None:
    for process in processes:
        assert process.alive, tail(process.log)
        output = process.output()
        found = [f for f in FAILURES if f in output]
        assert found == [], f"{process.name}: {found}\n{tail(process.log)}"


def signed_in(one: Api) -> SignedIn:
    with one.client() as client:
        return sign_in(client)


def write_then_read(writer: Api, reader: Api, user: SignedIn, name: str) -> None:
    """A change answered by ``writer``, read back through ``reader`` given its
    consistency token; each request on a connection of its own."""
    with writer.client() as client:
        changed = client.patch("/me", json={"first_name": name}, headers=user.headers)
    assert changed.status_code == 200, changed.text
    token = changed.json()["consistency_token"]

    me = reader.get("/me", params={"after": token}, headers=user.headers)

    assert me.status_code == 200, me.text
    assert me.json()["first_name"] == name, me.json()


def test_four_api_processes_started_together_on_an_empty_database_all_come_up(
    postgres_url: str, tmp_path: Path
) -> None:
    with fresh_database(postgres_url) as database_url:
        apis = [api(f"api{n}", database_url, tmp_path) for n in range(4)]
        worker = projections_worker(database_url, tmp_path)
        with started_together(apis, worker):
            # Check each process signs a new user in at the same moment.
            users: dict[int, SignedIn] = {}

            def sign_in_at(n: int) -> None:
                users[n] = signed_in(apis[n])

            threads = [threading.Thread(target=sign_in_at, args=(n,)) for n in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            assert sorted(users) == [0, 1, 2, 3]

            # Check a write answered by one process is read back through the next,
            # which learnt the worker's position by NOTIFY.
            for n, user in users.items():
                write_then_read(apis[n], apis[(n + 1) % 4], user, f"Ada{n}")

            assert_nothing_failed([a.process for a in apis] + [worker])


def test_an_api_with_four_workers_started_on_an_empty_database_comes_up(
    postgres_url: str, tmp_path: Path
) -> None:
    with fresh_database(postgres_url) as database_url:
        four = api("api", database_url, tmp_path, workers=4)
        worker = projections_worker(database_url, tmp_path)
        with started_together([four], worker):
            # Check every worker process started its application.
            assert started(four) == 4

            # Check a sign-in and GET /me work, whichever workers answer them.
            user = signed_in(four)
            me = four.get(
                "/me",
                params={"after": user.body["consistency_token"]},
                headers=user.headers,
            )
            assert me.status_code == 200, me.text
            assert me.json()["id"] == user.user_id

            assert_nothing_failed([four.process, worker])


def test_reads_after_writes_whichever_worker_answers(
    postgres_url: str, tmp_path: Path
) -> None:
    # The worker count from the setting, as a deployment would give it.
    with fresh_database(postgres_url) as database_url:
        two = api("api", database_url, tmp_path, settings={"workers": 2})
        worker = projections_worker(database_url, tmp_path)
        with started_together([two], worker):
            assert started(two) == 2
            user = signed_in(two)

            # Check each write is read back, on connections of their own (which
            # the kernel hands to either worker).
            for n in range(20):
                write_then_read(two, two, user, f"Ada{n}")

            assert_nothing_failed([two.process, worker])


def test_metrics_count_every_workers_requests_whichever_answers_the_scrape(
    postgres_url: str, tmp_path: Path
) -> None:
    token = "scrape-" + "w" * 24
    with fresh_database(postgres_url) as database_url:
        two = api(
            "api", database_url, tmp_path, workers=2, settings={"metrics_token": token}
        )
        worker = projections_worker(database_url, tmp_path)
        with started_together([two], worker):
            assert started(two) == 2
            # Each request on a connection of its own: the kernel spreads them.
            for _ in range(30):
                assert two.get("/health/live").status_code == 200

            # Check both workers counted some (each keeps its own file).
            files = list((tmp_path / "metrics").glob("port-*/histogram_*.db"))
            assert len(files) == 2, files

            # Check every scrape, whichever worker answers it, counts all 30.
            for _ in range(8):
                text = two.get(
                    "/metrics", headers={"Authorization": f"Bearer {token}"}
                ).text
                count = value(
                    text,
                    "spotlight_http_request_duration_seconds_count",
                    route="/health/live",
                    method="GET",
                    status="200",
                )
                assert count == 30, text

            assert_nothing_failed([two.process, worker])
