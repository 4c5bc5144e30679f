"""Liveness and readiness probes.

Readiness lists each backend (503 when one is down) and the views: a projection
that stopped on an event it cannot apply makes the answer ``degraded`` with the
projection and the event named. The instance still serves (its writes and other
views work), so the status code stays 200 for load balancers; monitoring alerts on
``status``. README "When a projection fails" is the runbook.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from adapters.bootstrap import Container
from ports.health import Pingable

router = APIRouter(prefix="/health", tags=["health"])


class BackendCheck(BaseModel):
    name: str
    status: Literal["up", "down"]
    error: str | None = Field(default=None, description="Why it is down.")


class Readiness(BaseModel):
    """Each configured backend, up or down (a report, not a problem document)."""

    status: Literal["up", "down"]
    backends: list[BackendCheck]


class Liveness(BaseModel):
    status: Literal["up"]


@router.get("/live", response_model=Liveness)
def live() -> dict[str, str]:
    """The process is running and serving requests."""
    return {"status": "up"}


def _check(name: str, backend: Pingable) -> dict[str, Any]:
    try:
        backend.ping()
    except Exception as error:  # noqa: BLE001 - any failure means "down"
        return {"name": name, "status": "down", "error": type(error).__name__}
    return {"name": name, "status": "up"}


@router.get(
    "/ready",
    response_model=Readiness,
    responses={503: {"description": "A backend is down", "model": Readiness}},
)
def ready(request: Request) -> JSONResponse:
    """Each configured backend with up/down; 503 when any is down."""
    container: Container = request.app.state.container
    backends = container.backends
    with ThreadPoolExecutor(max_workers=max(1, len(backends))) as pool:
        checks = list(pool.map(lambda item: _check(*item), backends.items()))
    all_up = all(c["status"] == "up" for c in checks)
    views = _views(container) if all_up else {"status": "unknown", "failed": []}
    status = "down" if not all_up else views["status"]
    body = {"status": status, "backends": checks, "views": views}
    return JSONResponse(body, status_code=200 if all_up else 503)


def _views(container: Container) -> dict[str, Any]:
    try:
        failures = container.engine.failures()
    except Exception as error:  # noqa: BLE001 - the backends answered; say so
        return {"status": "unknown", "error": type(error).__name__, "failed": []}
    failed = [
        {"projection": f.name, "failed_at": f.failed_at, "error": f.error}
        for f in failures
    ]
    return {"status": "degraded" if failed else "up", "failed": failed}
