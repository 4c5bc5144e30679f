"""Backends going away under the composed app, on the real servers.

A backend is taken away by cutting a TCP proxy in front of it (``TcpProxy``: its
port then refuses connections, like a stopped server's), so the servers other tests
share are never touched. While it is away a request that needs it is answered 503
naming it within ``OUTAGE_ANSWER_BOUND_SECONDS``, the next one at once (its circuit
breaker is open); once it is back, requests succeed again after ``Retry-After``.
An administrator ending every session of the database costs nothing but fresh
connections.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from adapters.bootstrap import Container, build_container
from adapters.http.app import create_app
from adapters.postgres.database import temporary_database
from adapters.resilience import OUTAGE_ANSWER_BOUND_SECONDS
from adapters.settings import Settings
from ports.errors import BackendUnavailableError
from tests.support.identity import SignedIn, sign_in
from tests.support.tcp_proxy import TcpProxy

# Far below the bound: a call its open breaker refuses does not touch the network.
AT_ONCE_SECONDS = 0.5


def timed(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def unavailable(call: Callable[[], Any]) -> tuple[BackendUnavailableError, float]:
    """The outage ``call`` raised, and how long it took to say so."""
    started = time.monotonic()
    with pytest.raises(BackendUnavailableError) as raised:
        call()
    return raised.value, time.monotonic() - started


def assert_outage(response: Any, backend: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) >= 1
    assert response.json()["backend"] == backend


def wait_out(response: Any) -> None:
    """What a client is asked to do: wait ``Retry-After`` seconds."""
    time.sleep(int(response.headers["retry-after"]))


@pytest.fixture
def app_on(
    tmp_path: Path,
) -> Iterator[Callable[[Settings], tuple[Container, TestClient]]]:
    """The composed app on ``settings``; closed afterwards."""
    opened: list[tuple[Container, TestClient]] = []

    def make(settings: Settings) -> tuple[Container, TestClient]:
        container = build_container(settings.model_copy(update={"data_dir": tmp_path}))
        client = TestClient(create_app(container=container))
        client.__enter__()
        opened.append((container, client))
        return container, client

    yield make
    for container, client in opened:
        client.__exit__(None, None, None)
        container.close()


def test_postgresql_out_of_reach_is_a_503_and_fails_fast(
    postgres_url: str,
    app_on: Callable[[Settings], tuple[Container, TestClient]],
) -> None:
    with temporary_database(postgres_url, "outage") as url, TcpProxy.to(url) as proxy:
        container, client = app_on(Settings(postgres_url=proxy.url(url)))
        ada = sign_in(client)

        def rename() -> Any:
            return client.patch("/me", headers=ada.headers, json={"first_name": "A"})

        assert rename().status_code == 200

        # PostgreSQL goes away: the first write waits for a connection, in bound.
        proxy.cut()
        first, first_took = timed(rename)
        assert_outage(first, "postgres")
        assert first_took <= OUTAGE_ANSWER_BOUND_SECONDS
        assert first.json()["detail"] == (
            "The postgres backend is unavailable; try again shortly."
        )
        # Check the next request is refused by the open breaker, without waiting.
        second, second_took = timed(rename)
        assert_outage(second, "postgres")
        assert second_took < AT_ONCE_SECONDS
        assert second_took < first_took
        assert container.breakers("postgres").opened == 1

        # PostgreSQL comes back: after Retry-After, requests succeed again.
        proxy.restore()
        wait_out(second)
        assert rename().status_code == 200
        assert client.get("/me/npos", headers=ada.headers).status_code == 200


def test_mongodb_out_of_reach_is_a_503_and_fails_fast(
    mongo_url: str,
    app_on: Callable[[Settings], tuple[Container, TestClient]],
) -> None:
    with TcpProxy.to(mongo_url) as proxy:
        database = f"it_outage_{uuid.uuid4().hex[:10]}"
        settings = Settings(
            event_store="popo", mongo_url=proxy.url(mongo_url), mongo_database=database
        )
        container, client = app_on(settings)
        reader = sign_in(client)
        offering = f"/offerings/{uuid.uuid4()}"

        def read() -> Any:
            return client.get(offering, headers=reader.headers)

        assert read().status_code == 404  # MongoDB answers: no such offering

        proxy.cut()
        first, first_took = timed(read)
        assert_outage(first, "mongodb")
        assert first_took <= OUTAGE_ANSWER_BOUND_SECONDS
        second, second_took = timed(read)
        assert_outage(second, "mongodb")
        assert second_took < AT_ONCE_SECONDS
        assert second_took < first_took

        proxy.restore()
        wait_out(second)
        assert read().status_code == 404
        container.documents.drop("offerings_v1")


def test_redis_out_of_reach_fails_fast_and_reads_fall_back(
    redis_url: str,
    app_on: Callable[[Settings], tuple[Container, TestClient]],
) -> None:
    with TcpProxy.to(redis_url) as proxy:
        settings = Settings(event_store="popo", redis_url=proxy.url(redis_url))
        container, client = app_on(settings)
        ada: SignedIn = sign_in(client)
        assert client.get("/me", headers=ada.headers).status_code == 200

        proxy.cut()
        # Check a profile is still read (from the view; Redis is only a cache),
        # within the bound.
        profile, took = timed(lambda: client.get("/me", headers=ada.headers))
        assert profile.status_code == 200, profile.text
        assert took <= OUTAGE_ANSWER_BOUND_SECONDS
        # Check the cache port names the backend: in bound, then at once.
        key = f"outage-{uuid.uuid4().hex}"
        first, first_took = unavailable(lambda: container.cache.get(key))
        assert first.backend == "redis"
        assert first_took <= OUTAGE_ANSWER_BOUND_SECONDS
        second, second_took = unavailable(lambda: container.cache.get(key))
        assert second.backend == "redis"
        assert second_took < AT_ONCE_SECONDS

        proxy.restore()
        time.sleep(container.breakers.retry_after("redis"))
        assert container.cache.get(key) is None  # Redis answers again


def test_sessions_ended_by_an_administrator_cost_nothing(
    postgres_url: str,
    app_on: Callable[[Settings], tuple[Container, TestClient]],
) -> None:
    with temporary_database(postgres_url, "terminated") as url:
        container, client = app_on(Settings(postgres_url=url))
        ada = sign_in(client)
        for name in ("Ada", "Adah", "Ada"):  # every pool holds connections now
            renamed = client.patch(
                "/me", headers=ada.headers, json={"first_name": name}
            )
            assert renamed.status_code == 200, renamed.text
            assert client.get("/me/npos", headers=ada.headers).status_code == 200

        # An administrator ends every session of the app's database.
        database = url.rsplit("/", 1)[1]
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            ended = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (database,),
            ).fetchall()
        assert len(ended) >= 3

        # Check the next writes and reads succeed: the first dead connection found
        # has every idle one replaced at once (no second's pause per dead one).
        for name in ("Grace", "Ada"):
            renamed, took = timed(
                lambda name=name: client.patch(  # type: ignore[misc]
                    "/me", headers=ada.headers, json={"first_name": name}
                )
            )
            assert renamed.status_code == 200, renamed.text
            assert took < 0.8
            listed, took = timed(lambda: client.get("/me/npos", headers=ada.headers))
            assert listed.status_code == 200, listed.text
            assert took < 0.8
        assert container.breakers("postgres").opened == 0
