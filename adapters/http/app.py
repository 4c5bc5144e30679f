"""The FastAPI app factory: nothing is built or connected at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from adapters.analytics.reports import build_reports
from adapters.bootstrap import Container, build_container
from adapters.embedded.blobs import LocalDiskBlobStore
from adapters.http import health, reports
from adapters.http.blobs import blob_router
from adapters.http.careers.routes import ROUTERS as CAREERS_ROUTERS
from adapters.http.dashboard.routes import dashboard_router
from adapters.http.errors import install_error_handlers
from adapters.http.identity.dev_issuer import dev_issuer_router
from adapters.http.identity.routes import ROUTERS as IDENTITY_ROUTERS
from adapters.http.metrics import router as metrics_router
from adapters.http.onboarding.routes import ROUTERS as ONBOARDING_ROUTERS
from adapters.http.openapi import install_openapi
from adapters.http.scheduling.routes import ROUTERS as SCHEDULING_ROUTERS
from adapters.observability.figures import BackendFigures
from adapters.observability.requests import ObservedRequests
from adapters.readiness import ReadinessChecks
from adapters.runtime import settle_heap
from adapters.settings import Settings


def create_app(
    settings: Settings | None = None, container: Container | None = None
) -> FastAPI:
    """Build the API. Pass a container in tests to share or fake its ports."""
    settings = settings or (container.settings if container else Settings())
    owns_container = container is None
    built = container or build_container(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.run_projections_in_api:
            built.start_projections()
        else:
            built.follow_positions()  # a worker runs them: `spotlight projections run`
        yield
        await built.identity.aclose()
        if owns_container:
            built.close()
        else:
            built.engine.stop()

    app = FastAPI(
        title="Spotlight platform management service",
        version="0.1.0",
        description=(
            "User management, onboarding of non-profit organisations and candidates, "
            "and candidate career tracking."
        ),
        lifespan=lifespan,
    )
    app.state.container = built
    # Readiness checks outlive each request: callers share them (``health``).
    app.state.readiness = ReadinessChecks(built)
    # Reports over the analytics export, which they keep fresh (``reports``).
    app.state.reports = build_reports(built)
    # Each context's routers, listed once in its adapters/http/<context>/routes.py.
    routers = [
        health.router,
        metrics_router,
        *IDENTITY_ROUTERS,
        *SCHEDULING_ROUTERS,
        *ONBOARDING_ROUTERS,
        *CAREERS_ROUTERS,
        reports.router,
    ]
    if built.identity.dev_issuer is not None:
        routers.append(dev_issuer_router(built.identity.dev_issuer))
    if isinstance(built.blobs, LocalDiskBlobStore):
        routers.append(blob_router(built.blobs))
    routers.append(
        dashboard_router(
            settings.vendor_dir, dev_issuer=built.identity.dev_issuer is not None
        )
    )
    install_error_handlers(
        app,
        routers,
        event_store_backend=(
            "postgres" if settings.event_store_kind == "postgres" else "event store"
        ),
        retry_after=built.breakers.retry_after,
    )
    # Outermost: every answer carries the correlation id, errors and 404s too.
    app.add_middleware(ObservedRequests, observe=built.metrics.request_done)
    built.metrics.read_at_scrape("figures", lambda: BackendFigures.of(built))
    for router in routers:
        app.include_router(router)
    install_openapi(app, routers)
    return app


def app_from_environment() -> FastAPI:
    """Entry point for ``uvicorn --factory`` (``spotlight serve``)."""
    app = create_app(Settings())
    settle_heap()  # a served process: see adapters/runtime.py
    return app
