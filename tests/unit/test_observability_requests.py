"""The request middleware: one correlation id per request, on every answer, in the
log context while the request is handled; each request's route template timed."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient

from adapters.observability.requests import ObservedRequests, is_sane
from ports.correlation import current_correlation_id


def app_observed(seen: list[tuple[str, str, int]]) -> FastAPI:
    app = FastAPI()

    @app.get("/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str | None]:
        return {"correlation": current_correlation_id()}

    @app.get("/sync")
    def in_a_thread() -> dict[str, str | None]:
        return {"correlation": current_correlation_id()}

    @app.get("/refused")
    async def refused() -> None:
        raise HTTPException(409, "no")

    app.add_middleware(
        ObservedRequests,
        observe=lambda route, method, status, _seconds: seen.append(
            (route, method, status)
        ),
    )
    return app


def test_a_sane_id_is_kept_and_echoed() -> None:
    with TestClient(app_observed([])) as client:
        answer = client.get("/things/1", headers={"X-Correlation-Id": "abc:1.2_3-4"})
    assert answer.headers["X-Correlation-Id"] == "abc:1.2_3-4"
    assert answer.json() == {"correlation": "abc:1.2_3-4"}


def test_without_one_or_with_a_bad_one_a_new_one_is_made() -> None:
    with TestClient(app_observed([])) as client:
        absent = client.get("/things/1")
        bad = client.get("/things/1", headers={"X-Correlation-Id": "a b<script>"})
        long = client.get("/things/1", headers={"X-Correlation-Id": "a" * 101})
    made = [a.headers["X-Correlation-Id"] for a in (absent, bad, long)]
    assert len(set(made)) == 3
    assert all(len(m) == 32 and is_sane(m.encode()) for m in made)
    assert absent.json() == {"correlation": made[0]}


def test_sync_routes_see_it_in_their_thread_and_errors_carry_it() -> None:
    with TestClient(app_observed([])) as client:
        synced = client.get("/sync", headers={"X-Correlation-Id": "t-1"})
        refused = client.get("/refused", headers={"X-Correlation-Id": "t-2"})
        missing = client.get("/nowhere", headers={"X-Correlation-Id": "t-3"})
    assert synced.json() == {"correlation": "t-1"}
    assert (refused.status_code, refused.headers["X-Correlation-Id"]) == (409, "t-2")
    assert (missing.status_code, missing.headers["X-Correlation-Id"]) == (404, "t-3")


def test_requests_are_timed_by_route_template_never_by_path() -> None:
    seen: list[tuple[str, str, int]] = []
    with TestClient(app_observed(seen)) as client:
        client.get("/things/1")
        client.get("/things/2")
        client.get("/refused")
        client.get("/nowhere/at/all")
        client.request("BREW", "/things/3")
    assert seen == [
        ("/things/{thing_id}", "GET", 200),
        ("/things/{thing_id}", "GET", 200),
        ("/refused", "GET", 409),
        ("unmatched", "GET", 404),
        ("/things/{thing_id}", "other", 405),
    ]


def test_outside_a_request_there_is_no_correlation() -> None:
    assert current_correlation_id() is None
