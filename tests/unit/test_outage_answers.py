"""What a client sees when a backend is out of reach (503 naming it, with
Retry-After), or when something unexpected fails (500): never the error's message,
in the answer or in the logs, and never a traceback."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import psycopg
import psycopg.errors
import pytest
from eventsourcing.persistence import (
    InterfaceError as StoreInterfaceError,
)
from eventsourcing.persistence import (
    OperationalError as StoreOperationalError,
)
from fastapi import FastAPI
from fastapi.testclient import TestClient

from adapters.bootstrap import build_container
from adapters.embedded.documents import InMemoryDocumentStore
from adapters.http.app import create_app
from adapters.http.errors import PROBLEM_JSON, BackendProblem, install_error_handlers
from adapters.resilience import CircuitBreaker
from adapters.settings import Settings
from ports.documents import JSONDocument
from ports.errors import BackendUnavailableError
from tests.support.identity import sign_in

# Messages quote the driver, and through it data: here, an e-mail address.
SECRET = "ada@example.org"


def raised_from(outer: Exception, cause: BaseException) -> Exception:
    try:
        raise outer from cause
    except Exception as error:  # noqa: BLE001 - the chained error is the point
        return error


def client_raising(
    error: Exception, *, event_store_backend: str = "postgres"
) -> TestClient:
    app = FastAPI()
    install_error_handlers(
        app,
        event_store_backend=event_store_backend,
        retry_after=lambda backend: 3 if backend == "postgres" else 2,
    )

    @app.get("/fail")
    def fail() -> None:
        raise error

    # Nothing may reach Starlette's ServerErrorMiddleware, which would re-raise.
    return TestClient(app, raise_server_exceptions=True)


def service_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """What the service logged (not the test client's own request lines)."""
    return [r for r in caplog.records if not r.name.startswith("httpx")]


def assert_no_secret(response: Any, caplog: pytest.LogCaptureFixture) -> None:
    assert SECRET not in response.text
    for record in caplog.records:
        assert SECRET not in record.getMessage()
        assert record.exc_info is None
        assert record.exc_text is None


@pytest.mark.parametrize(
    ("error", "backend", "retry_after"),
    [
        (BackendUnavailableError(f"redis: refused for {SECRET}"), "redis", "2"),
        (BackendUnavailableError(f"lost {SECRET}", backend="mongodb"), "mongodb", "2"),
        (StoreOperationalError(f"connection to {SECRET} lost"), "postgres", "3"),
        (StoreInterfaceError(f"connection closed {SECRET}"), "postgres", "3"),
        (psycopg.OperationalError(f"server closed {SECRET}"), "postgres", "3"),
        (psycopg.errors.AdminShutdown(f"terminating {SECRET}"), "postgres", "3"),
        (ConnectionRefusedError(111, f"refused {SECRET}"), "postgres", "3"),
        (
            raised_from(RuntimeError(SECRET), BackendUnavailableError("s3: down")),
            "s3",
            "2",
        ),
    ],
)
def test_an_outage_is_a_503_naming_the_backend(
    error: Exception,
    backend: str,
    retry_after: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO):
        response = client_raising(error).get("/fail")

    # Check the answer: 503, which backend, when to try again, words for people.
    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["retry-after"] == retry_after
    body = response.json()
    BackendProblem.model_validate(body)  # as the OpenAPI document says
    assert body["backend"] == backend
    assert body["detail"] == (
        f"The {backend} backend is unavailable; try again shortly."
    )
    # Check one line is logged: the error's type, the backend, where; no message.
    [record] = service_lines(caplog)
    line = record.getMessage()
    assert record.levelno == logging.WARNING
    for part in (type(error).__name__, backend, "GET /fail"):
        assert part in line
    assert_no_secret(response, caplog)


def test_the_event_store_is_named_as_such_without_postgresql(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = client_raising(
        StoreOperationalError("database is locked"),
        event_store_backend="event store",
    )
    body = client.get("/fail").json()
    assert body["backend"] == "event store"
    assert body["detail"] == (
        "The event store backend is unavailable; try again shortly."
    )


def test_an_unknown_backend_is_named_backend() -> None:
    response = client_raising(BackendUnavailableError("who knows")).get("/fail")
    assert response.json()["backend"] == "backend"
    assert response.json()["detail"] == "A backend is unavailable; try again shortly."


def test_anything_else_is_a_500_logged_in_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO):
        response = client_raising(RuntimeError(f"no such user {SECRET}")).get("/fail")

    # Check the caller is told as little as before; nothing was re-raised.
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["detail"] == "The error has been logged."
    assert "retry-after" not in response.headers
    # Check one line: the type, the request and the innermost frame, no message.
    [record] = service_lines(caplog)
    line = record.getMessage()
    assert record.levelno == logging.ERROR
    assert "RuntimeError" in line
    assert "GET /fail" in line
    assert "test_outage_answers.py:" in line
    assert_no_secret(response, caplog)


class UnreachableDocuments(InMemoryDocumentStore):
    """MongoDB that refuses every read, behind its circuit breaker."""

    def __init__(self) -> None:
        super().__init__()
        self.breaker = CircuitBreaker("mongodb")
        self.reads = 0

    def get(self, collection: str, document_id: str) -> JSONDocument | None:
        self.reads += 1
        with self.breaker.call():
            raise ConnectionRefusedError(111, f"refused while reading {SECRET}")


def test_a_port_that_cannot_reach_its_backend_answers_503_and_fails_fast(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(
        event_store="popo",
        breaker_cooldown_seconds=3.0,
        breaker_max_cooldown_seconds=5.0,
    )
    documents = UnreachableDocuments()
    container = build_container(settings, documents=documents)
    documents.breaker = container.breakers("mongodb")  # the container's breaker
    with TestClient(create_app(container=container)) as client:
        reader = sign_in(client)
        offering = f"/offerings/{uuid.uuid4()}"
        with caplog.at_level(logging.INFO):
            first = client.get(offering, headers=reader.headers)
            second = client.get(offering, headers=reader.headers)

    # Check the first read reached MongoDB and opened its breaker: 503 naming it.
    assert first.status_code == 503
    assert first.json()["backend"] == "mongodb"
    assert first.headers["retry-after"] == "3"  # the breaker's cool-down left
    # Check the second failed without reaching MongoDB.
    assert second.status_code == 503
    assert second.json()["backend"] == "mongodb"
    assert int(second.headers["retry-after"]) in {1, 2, 3}
    assert documents.reads == 2
    assert container.breakers("mongodb").opened == 1
    outage_lines = [r for r in service_lines(caplog) if "unavailable" in r.getMessage()]
    assert len(outage_lines) == 2
    assert_no_secret(first, caplog)
    container.close()
