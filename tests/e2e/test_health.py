"""Liveness and readiness over HTTP, embedded and against the real services."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import Sequence
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from adapters.bootstrap import build_container
from adapters.http.app import create_app
from adapters.settings import Settings
from commands.onboarding.inbound import OFFERING_FLOW_CONSUMER
from ports.relational import SqlSession
from projections.contracts import ProjectedEvent
from projections.identity.users_view import UsersView
from tests.support.identity import sign_in


def test_live_answers_without_any_backend() -> None:
    client = TestClient(create_app(Settings(event_store="popo")))
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "up"}


def test_ready_lists_every_real_backend_as_up(
    postgres_url: str,
    redis_url: str,
    kafka_bootstrap: str,
    mongo_url: str,
    s3_endpoint: str,
) -> None:
    settings = Settings(
        postgres_url=postgres_url,
        redis_url=redis_url,
        kafka_bootstrap=kafka_bootstrap,
        mongo_url=mongo_url,
        s3_endpoint=s3_endpoint,
    )
    with TestClient(create_app(settings)) as client:
        # A cold check (a first connection) may take longer than readiness waits.
        body = wait_for_readiness(client, 200)
    assert body["status"] == "up"
    assert {b["name"]: b["status"] for b in body["backends"]} == {
        "postgres": "up",
        "redis": "up",
        "kafka": "up",
        "mongodb": "up",
        "s3": "up",
    }


def test_ready_answers_503_naming_the_backend_that_is_down() -> None:
    # Nothing listens on port 1 of loopback: Redis there is down.
    settings = Settings(redis_url="redis://127.0.0.1:1/0", event_store="popo")
    container = build_container(settings)
    with TestClient(create_app(container=container)) as client:
        response = client.get("/health/ready")
    container.close()
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["backends"] == [
        {"name": "redis", "status": "down", "error": "BackendUnavailableError"}
    ]


def test_unknown_route_is_a_problem_document() -> None:
    client = TestClient(create_app(Settings(event_store="popo")))
    response = client.get("/no/such/route")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404


class HangingBackend:
    """A backend whose ping hangs, like a server that accepts and never answers."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.pings = 0
        self.released = threading.Event()

    def ping(self) -> None:
        self.pings += 1
        self.released.wait(self.seconds)


def test_readiness_answers_in_a_second_holding_no_thread_while_a_backend_hangs() -> (
    None
):
    container = build_container(Settings(event_store="popo"))
    hanging = HangingBackend(5)
    container.backends["hanging"] = hanging
    app = create_app(container=container)

    async def timed(client: httpx.AsyncClient, path: str) -> tuple[int, Any, float]:
        started = time.monotonic()
        response = await client.get(path)
        return response.status_code, response.json(), time.monotonic() - started

    async def fifty_readiness_calls_and_one_cheap_request() -> tuple[
        list[tuple[int, Any, float]], tuple[int, Any, float]
    ]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://t"
        ) as client:
            readiness = [
                asyncio.create_task(timed(client, "/health/ready")) for _ in range(50)
            ]
            await asyncio.sleep(0.05)  # every readiness call is waiting now
            # A sync route: it runs on the request thread pool.
            live = await timed(client, "/health/live")
            return list(await asyncio.gather(*readiness)), live

    # A served process freezes its start-up heap (adapters/runtime.py); this test
    # process holds the whole suite's, and one full collection of it may pause the
    # event loop for a good part of the margin checked here. So the collector
    # waits while the calls are timed.
    gc.collect()
    gc.disable()
    try:
        answers, live = asyncio.run(fifty_readiness_calls_and_one_cheap_request())
    finally:
        gc.enable()
        hanging.released.set()
        container.close()
    # Check the cheap request did not wait behind the readiness calls.
    assert live[0] == 200
    assert live[2] < 0.5
    # Check every readiness call answered within a second, naming the silent backend.
    for status, body, took in answers:
        assert status == 503
        assert took < 1.0
        assert body["status"] == "down"
        assert body["backends"] == [
            {"name": "hanging", "status": "down", "error": "no answer within 0.6 s"}
        ]
    # Check the fifty calls shared one ping.
    assert hanging.pings == 1


def test_a_projection_stopped_on_an_event_makes_the_instance_not_ready(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = UsersView.apply

    def cannot_apply_poison(
        self: UsersView, session: SqlSession, events: Sequence[ProjectedEvent]
    ) -> None:
        for item in events:
            if getattr(item.event, "first_name", None) == "Poison":
                raise ValueError("the view cannot store this name")
        original(self, session, events)

    monkeypatch.setattr(UsersView, "apply", cannot_apply_poison)
    with TestClient(create_app(Settings(event_store="popo"))) as client:
        engine = client.app.state.container.engine  # type: ignore[attr-defined]
        engine.retry_delay_seconds = 0.01
        user = sign_in(client)
        poisoned = client.patch(
            "/me", headers=user.headers, json={"first_name": "Poison"}
        )
        assert poisoned.status_code == 200, poisoned.text
        poison_at = poisoned.json()["consistency_token"]
        # Check readiness says 503 and names the projection and the event.
        body = wait_for_readiness(client, 503)
    assert body["status"] == "down"
    assert body["views"]["status"] == "down"
    [failed] = body["views"]["failed"]
    assert failed["projection"] == "users"
    assert failed["failed_at"] == poison_at
    assert "ValueError: the view cannot store this name" in failed["error"]


def test_a_projection_behind_that_does_not_move_makes_the_instance_not_ready() -> None:
    container = build_container(
        Settings(event_store="popo", readiness_stall_seconds=0.2)
    )
    # No lifespan: nothing applies the events, so the views fall behind.
    client = TestClient(create_app(container=container))
    try:
        sign_in(client)
        body = wait_for_readiness(client, 503)
        stalled = {s["projection"]: s for s in body["views"]["stalled"]}
        assert stalled["users"]["source"] == "identity"
        assert stalled["users"]["position"] == 0
        assert stalled["users"]["head"] > 0
        assert stalled["users"]["still_seconds"] >= 0.2
        assert body["views"]["status"] == "down"
        # Check it is ready again once the projections run and catch up.
        container.start_projections()
        body = wait_for_readiness(client, 200)
        assert body["views"] == {"status": "up", "failed": [], "stalled": []}
    finally:
        container.close()


def test_an_inbound_consumer_behind_and_not_moving_makes_the_instance_not_ready() -> (
    None
):
    settings = Settings(event_store="popo", readiness_stall_seconds=0.2)
    container = build_container(settings)
    client = TestClient(create_app(container=container))
    try:
        # A message waits on the offering flow's topic; no consumer runs yet.
        container.bus.publish(settings.onboarding_offerings_topic, "k", b"{}")
        body = wait_for_readiness(client, 503)
        [consumer] = body["consumers"]
        assert consumer["name"] == OFFERING_FLOW_CONSUMER
        assert consumer["group_id"] == f"{OFFERING_FLOW_CONSUMER}.popo"
        assert consumer["status"] == "down"
        assert consumer["lag"] == 1
        assert consumer["error"].startswith(
            f"stalled: 1 message(s) behind on {settings.onboarding_offerings_topic}"
        )
        # Check it is ready again once the consumer has handled it (parked: it is
        # not an integration event).
        container.start_projections()
        body = wait_for_readiness(client, 200)
        assert body["consumers"] == [
            {
                "name": OFFERING_FLOW_CONSUMER,
                "group_id": f"{OFFERING_FLOW_CONSUMER}.popo",
                "status": "up",
                "lag": 0,
            }
        ]
    finally:
        container.close()


def wait_for_readiness(client: TestClient, status: int) -> dict[str, Any]:
    """Ask readiness until it answers ``status`` (its checks are kept a second)."""
    deadline = time.monotonic() + 10
    while True:
        response = client.get("/health/ready")
        body: dict[str, Any] = response.json()
        if response.status_code == status or time.monotonic() > deadline:
            assert response.status_code == status, body
            return body
        time.sleep(0.05)
