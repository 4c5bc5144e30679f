"""Fixtures for the real services started by ``scripts/services up``.

Under ``make test`` (``SPOTLIGHT_REQUIRE_SERVICES=1``) a test that needs a server fails
when the server is missing; it is never skipped. Run elsewhere, such a test is skipped
with the reason shown in pytest's summary.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlparse

import pytest

REQUIRE_SERVICES = os.environ.get("SPOTLIGHT_REQUIRE_SERVICES", "0") == "1"

POSTGRES_URL = os.environ.get(
    "SPOTLIGHT_TEST_POSTGRES_URL",
    "postgresql://spotlight:spotlight@127.0.0.1:55432/spotlight",
)
REDIS_URL = os.environ.get("SPOTLIGHT_TEST_REDIS_URL", "redis://127.0.0.1:56379/0")
KAFKA_BOOTSTRAP = os.environ.get("SPOTLIGHT_TEST_KAFKA_BOOTSTRAP", "127.0.0.1:59092")
MONGO_URL = os.environ.get("SPOTLIGHT_TEST_MONGO_URL", "mongodb://127.0.0.1:57017/")
S3_ENDPOINT = os.environ.get("SPOTLIGHT_TEST_S3_ENDPOINT", "http://127.0.0.1:55000")


def _reachable(address: str) -> bool:
    parsed = urlparse(address if "://" in address else f"tcp://{address}")
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or 0), timeout=2
        ):
            return True
    except OSError:
        return False


def _require(name: str, address: str) -> str:
    if not _reachable(address):
        message = f"{name} is not reachable at {address}; run `scripts/services up`"
        if REQUIRE_SERVICES:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return address


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return _require("PostgreSQL", POSTGRES_URL)


@pytest.fixture(scope="session")
def redis_url() -> str:
    return _require("Redis", REDIS_URL)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    return _require("Kafka", KAFKA_BOOTSTRAP)


@pytest.fixture(scope="session")
def mongo_url() -> str:
    return _require("FerretDB (MongoDB wire)", MONGO_URL)


@pytest.fixture(scope="session")
def s3_endpoint() -> str:
    return _require("S3 (moto)", S3_ENDPOINT)


@pytest.fixture
def unique_name() -> Callable[[str], str]:
    """Names that never collide between tests or runs on the shared servers."""

    def make(prefix: str) -> str:
        return f"{prefix}_{uuid.uuid4().hex[:12]}"

    return make


@pytest.fixture
def postgres_schema(postgres_url: str) -> Iterator[str]:
    """A fresh schema, dropped afterwards, so tests can share the database."""
    import psycopg

    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    yield schema
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
