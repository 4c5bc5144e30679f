"""Liveness and readiness probes.

Readiness answers within a second whatever is down: it lists each backend, the
views and the inbound consumers, and answers 503 when a backend is down, a
projection has stopped on an event (FAILED) or a projection or consumer is stalled
(behind, and not moving for ``readiness_stall_seconds``). The checks themselves
(``adapters.readiness``) run in threads of their own, one at a time each, their
answers kept for a second; this handler waits for them on the event loop, 0.6 s at
most, and reports a check that has not answered by then. README "When a projection
fails" is the runbook.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from adapters.bootstrap import inbound_subscriptions
from adapters.readiness import (
    BackendAnswer,
    ConsumerAnswer,
    ReadinessChecks,
    ViewsAnswer,
)

router = APIRouter(prefix="/health", tags=["health"])

# How long readiness waits for its checks, in all.
WAIT_SECONDS = 0.6
NO_ANSWER = f"no answer within {WAIT_SECONDS} s"


class BackendCheck(BaseModel):
    name: str
    status: Literal["up", "down"]
    error: str | None = Field(default=None, description="Why it is down.")


class FailedView(BaseModel):
    projection: str
    failed_at: str | None = Field(
        default=None, description="The event it stopped on: `source:position`."
    )
    error: str | None = Field(default=None, description="The error's first line.")


class StalledView(BaseModel):
    projection: str
    source: str
    position: int
    head: int
    still_seconds: float = Field(description="How long its position has not moved.")


class ViewsCheck(BaseModel):
    """``down`` when a projection is FAILED or stalled; ``unknown`` when their state
    could not be read in time."""

    status: Literal["up", "down", "unknown"]
    error: str | None = Field(default=None, description="Why the state is unknown.")
    failed: list[FailedView] = Field(default_factory=list)
    stalled: list[StalledView] = Field(default_factory=list)


class ConsumerCheck(BaseModel):
    """An inbound consumer: ``down`` when stopped or stalled; ``unknown`` when the
    broker did not say how far it is."""

    name: str
    group_id: str
    status: Literal["up", "down", "unknown"]
    lag: int | None = Field(default=None, description="Messages not yet handled.")
    error: str | None = Field(default=None, description="Why it is down or unknown.")


class Readiness(BaseModel):
    """Each configured backend, the views and the inbound consumers (a report, not
    a problem document)."""

    status: Literal["up", "down"]
    backends: list[BackendCheck]
    views: ViewsCheck
    consumers: list[ConsumerCheck] = Field(default_factory=list)


class Liveness(BaseModel):
    status: Literal["up"]


@router.get("/live", response_model=Liveness)
def live() -> dict[str, str]:
    """The process is running and serving requests."""
    return {"status": "up"}


@router.get(
    "/ready",
    response_model=Readiness,
    response_model_exclude_none=True,
    responses={503: {"description": "Not ready", "model": Readiness}},
)
async def ready(request: Request) -> JSONResponse:
    """Each configured backend, the views and the inbound consumers; 503 when a
    backend is down, or a projection or consumer is FAILED, stopped or stalled.
    Answers within a second: a check that has not answered in 0.6 s counts as
    down (a backend) or unknown (views, consumers)."""
    checks: ReadinessChecks = request.app.state.readiness
    backends = {name: check.answer() for name, check in checks.backends().items()}
    views = checks.views.answer()
    consumers = checks.consumers.answer()
    await _wait_for([*backends.values(), views, consumers], WAIT_SECONDS)
    report = Readiness(
        status="up",
        backends=[_backend(name, _result(f)) for name, f in backends.items()],
        views=_views(_result(views)),
        consumers=_consumers(request.app, _result(consumers)),
    )
    down = (
        any(b.status == "down" for b in report.backends)
        or report.views.status == "down"
        or any(c.status == "down" for c in report.consumers)
    )
    if down:
        report.status = "down"
    return JSONResponse(
        report.model_dump(mode="json", exclude_none=True),
        status_code=503 if down else 200,
    )


async def _wait_for(futures: list[Future[Any]], seconds: float) -> None:
    """Wait on the event loop (no thread held) until all are done or time is up."""
    pending = [asyncio.wrap_future(f) for f in futures if not f.done()]
    if not pending:
        return
    await asyncio.wait(pending, timeout=seconds)
    for waiter in pending:
        waiter.cancel()  # our wait only: the check runs on and keeps its answer


def _result(future: Future[Any]) -> Any:
    """The check's answer; None when it has not come, the error when it raised."""
    if not future.done():
        return None
    error = future.exception()
    return error if error is not None else future.result()


def _backend(name: str, answer: BackendAnswer | BaseException | None) -> BackendCheck:
    if answer is None:
        return BackendCheck(name=name, status="down", error=NO_ANSWER)
    if isinstance(answer, BaseException):
        return BackendCheck(name=name, status="down", error=type(answer).__name__)
    if answer.up:
        return BackendCheck(name=name, status="up")
    return BackendCheck(name=name, status="down", error=answer.error)


def _views(answer: ViewsAnswer | BaseException | None) -> ViewsCheck:
    if answer is None:
        return ViewsCheck(status="unknown", error=NO_ANSWER)
    if isinstance(answer, BaseException):
        return ViewsCheck(status="unknown", error=type(answer).__name__)
    if answer.error is not None:
        return ViewsCheck(status="unknown", error=answer.error)
    return ViewsCheck(
        status="down" if answer.failed or answer.stalled else "up",
        failed=[
            FailedView(projection=f.projection, failed_at=f.failed_at, error=f.error)
            for f in answer.failed
        ],
        stalled=[
            StalledView(
                projection=s.projection,
                source=s.source,
                position=s.position,
                head=s.head,
                still_seconds=s.still_seconds,
            )
            for s in answer.stalled
        ],
    )


def _consumers(
    app: FastAPI, answer: tuple[ConsumerAnswer, ...] | BaseException | None
) -> list[ConsumerCheck]:
    if answer is None or isinstance(answer, BaseException):
        error = NO_ANSWER if answer is None else type(answer).__name__
        return [
            ConsumerCheck(
                name=s.name, group_id=s.group_id, status="unknown", error=error
            )
            for s in inbound_subscriptions(app.state.container)
        ]
    return [_consumer(c) for c in answer]


def _consumer(answer: ConsumerAnswer) -> ConsumerCheck:
    status: Literal["up", "down", "unknown"] = "up"
    if answer.problem is not None:
        status = "down"
    elif answer.unknown is not None:
        status = "unknown"
    return ConsumerCheck(
        name=answer.name,
        group_id=answer.group_id,
        status=status,
        lag=answer.lag,
        error=answer.problem or answer.unknown,
    )
