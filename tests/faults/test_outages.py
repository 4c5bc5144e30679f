"""Backend outages and killed processes under a mixed load (README "Operations:
outages").

Each test stops one server of the private set (``scripts/services down NAME``) or
kills one process of the deployment, starts it again, and checks what
``tests.faults.scenario`` lists: no acknowledged write lost, views equal to a rebuild,
no 500, bounded latency, truthful readiness, and the offering flow resuming. Each
prints its figures as one JSON line.
"""

from __future__ import annotations

import pytest

from tests.faults.scenario import Fault, FaultWorld, run_fault
from tests.faults.servers import BACKEND_OF_SERVICE, PrivateServers

pytestmark = pytest.mark.real_services


def outage(
    servers: PrivateServers, name: str, seconds: float, *, flow: bool = False
) -> Fault:
    """Server ``name`` stopped for ``seconds``, then started again."""

    def stop() -> None:
        servers.run("down", name)

    def start() -> None:
        servers.run("up", name)

    return Fault(
        name,
        seconds,
        stop,
        start,
        backend=BACKEND_OF_SERVICE[name],
        flow_must_resume=flow,
    )


def check(world: FaultWorld, fault: Fault) -> None:
    try:
        report = run_fault(world, fault)
    except Exception as error:
        raise AssertionError(
            f"{fault.name}: the run itself failed: {error!r}\n"
            f"{world.deployment.tails()}"
        ) from error
    if report.failures:
        pytest.fail(
            f"{fault.name}: {len(report.failures)} check(s) failed\n"
            f"{report.summary()}\nfigures: {report.json_line()}\n"
            f"{world.deployment.tails()}",
            pytrace=False,
        )


def test_postgres_stopped_for_10_seconds(
    world: FaultWorld, servers: PrivateServers
) -> None:
    check(world, outage(servers, "postgres", 10))


def test_kafka_stopped_for_15_seconds(
    world: FaultWorld, servers: PrivateServers
) -> None:
    check(world, outage(servers, "kafka", 15, flow=True))


def test_ferretdb_stopped_for_15_seconds(
    world: FaultWorld, servers: PrivateServers
) -> None:
    check(world, outage(servers, "ferretdb", 15))


def test_redis_stopped_for_10_seconds(
    world: FaultWorld, servers: PrivateServers
) -> None:
    check(world, outage(servers, "redis", 10))


def test_worker_killed_and_started_again(world: FaultWorld) -> None:
    deployment = world.deployment

    def start() -> None:
        deployment.worker.start()
        deployment.wait_for_worker()

    check(
        world,
        Fault("worker", 5, deployment.worker.kill, start, flow_must_resume=True),
    )


def test_api_killed_and_started_again(world: FaultWorld) -> None:
    deployment = world.deployment

    def start() -> None:
        deployment.api.start()
        deployment.wait_for_api()

    check(
        world,
        Fault(
            "api", 3, deployment.api.kill, start, flow_must_resume=True, api_down=True
        ),
    )
