"""The fault suite's own servers and deployment.

The session starts a private PostgreSQL, Redis, Kafka, FerretDB and S3 with
``scripts/services up`` under their own state directory and ports (``servers``), and
stops them at the end. Each test gets a fresh database and a deployment of its own
(the API and one worker as subprocesses, ``deployment``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from pymongo import MongoClient

from adapters.postgres.database import temporary_database
from tests.faults.deployment import Deployment, DeploymentError
from tests.faults.scenario import FaultWorld
from tests.faults.servers import Echo, PrivateServers, ServicesError

LIVE_REDIS_DATABASE = 0
REBUILD_REDIS_DATABASE = 1


def terminal_echo(config: pytest.Config) -> Echo:
    """Print a line at once, even while pytest captures output."""
    capture = config.pluginmanager.getplugin("capturemanager")

    def echo(line: str) -> None:
        if capture is None:
            print(line, flush=True)
            return
        with capture.global_and_fixture_disabled():
            print(line, flush=True)

    return echo


@pytest.fixture(scope="session")
def echo(request: pytest.FixtureRequest) -> Echo:
    return terminal_echo(request.config)


@pytest.fixture(scope="session")
def servers(echo: Echo) -> Iterator[PrivateServers]:
    """The private servers, up for the session; a failing start is an error."""
    try:
        found = PrivateServers.from_environment(os.environ)
    except ServicesError as error:
        pytest.fail(str(error), pytrace=False)
    echo("")
    try:
        found.run("up", echo=echo)
    except ServicesError as error:
        _stop(found, echo)
        pytest.fail(str(error), pytrace=False)
    yield found
    _stop(found, echo)


def _stop(servers: PrivateServers, echo: Echo) -> None:
    try:
        servers.run("down", echo=echo)
    except ServicesError as error:
        echo(str(error))


@pytest.fixture
def world(servers: PrivateServers, echo: Echo, tmp_path: Path) -> Iterator[FaultWorld]:
    """A deployment of its own on the private servers, stopped afterwards."""
    run = uuid.uuid4().hex[:10]
    cache = redis.Redis.from_url(servers.redis_url(LIVE_REDIS_DATABASE))
    cache.flushall()
    cache.close()
    with temporary_database(servers.postgres_url, prefix="faults") as database_url:
        deployment = Deployment(
            {
                "data_dir": str(tmp_path / "var"),
                "postgres_url": database_url,
                "mongo_url": servers.mongo_url,
                "mongo_database": f"faults_{run}",
                "redis_url": servers.redis_url(LIVE_REDIS_DATABASE),
                "kafka_bootstrap": servers.kafka_bootstrap,
                "s3_endpoint": servers.s3_endpoint,
                "s3_bucket": f"faults-{run}",
                "onboarding_offerings_topic": f"faults-offerings-{run}",
            },
            tmp_path,
        )
        try:
            try:
                deployment.start()
            except DeploymentError as error:
                pytest.fail(str(error), pytrace=False)
            yield FaultWorld(
                deployment, servers.redis_url(REBUILD_REDIS_DATABASE), echo
            )
        finally:
            deployment.stop()
            mongo: MongoClient[dict[str, object]] = MongoClient(servers.mongo_url)
            with mongo:
                mongo.drop_database(f"faults_{run}")
