"""Liveness and readiness probes."""

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
    body = {"status": "up" if all_up else "down", "backends": checks}
    return JSONResponse(body, status_code=200 if all_up else 503)
