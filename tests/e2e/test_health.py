"""Liveness and readiness over HTTP, embedded and against the real services."""

from __future__ import annotations

from fastapi.testclient import TestClient

from adapters.bootstrap import build_container
from adapters.http.app import create_app
from adapters.settings import Settings


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
        response = client.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
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
