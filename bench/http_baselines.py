"""``bench.http``'s baselines: a minimal FastAPI app and a bare eventsourcing save.

- ``minimal_app``: one ``async`` route answering a small JSON body, no
  dependencies, served by uvicorn as ``spotlight serve`` serves the project.
- ``bare_saves``: a plain ``eventsourcing.application.Application`` saving a new
  ``Counter`` (one event) per save, one thread, on the same PostgreSQL.

``Counter.Counted`` is also the topic of the events ``bench.http`` seeds into the
served project's identity event table for the growth case: no projection reads it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from fastapi import FastAPI

from bench.http_figures import BareSaves
from bench.replay_figures import percentile


def minimal_app() -> FastAPI:
    app = FastAPI()

    @app.get("/me")
    async def me() -> dict[str, str]:
        return {"id": "00000000-0000-0000-0000-000000000000", "email": "a@b.c"}

    return app


class Counter(Aggregate):
    """A trivial aggregate: created, then counted."""

    class Counted(Aggregate.Event):
        pass

    def __init__(self) -> None:
        self.count = 0

    @event(Counted)
    def counted(self) -> None:
        self.count += 1


class BareSave(Application[UUID]):
    name = "bench_bare"


def bare_saves(env: Mapping[str, str], seconds: float) -> BareSaves:
    """As many single-event saves as fit in ``seconds``, after 50 to warm up."""
    app = BareSave(env=dict(env))
    try:
        for _ in range(50):
            app.save(Counter())
        samples: list[float] = []
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            before = time.perf_counter()
            app.save(Counter())
            samples.append((time.perf_counter() - before) * 1000)
        elapsed = time.perf_counter() - started
    finally:
        app.close()
    return BareSaves(
        saves=len(samples),
        seconds=elapsed,
        p50_ms=percentile(samples, 50),
        p99_ms=percentile(samples, 99),
    )
