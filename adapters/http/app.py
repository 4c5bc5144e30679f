"""The FastAPI app factory: nothing is built or connected at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from adapters.bootstrap import Container, build_container
from adapters.embedded.blobs import LocalDiskBlobStore
from adapters.http.careers.routes import ROUTERS as CAREERS_ROUTERS
from adapters.http.errors import install_error_handlers
from adapters.http.onboarding.routes import ROUTERS as ONBOARDING_ROUTERS
from adapters.http.routers import (
    auth,
    health,
    me,
    users,
    well_known,
)
from adapters.http.routers.blobs import blob_router
from adapters.http.routers.calendar import router as calendar_router
from adapters.http.routers.dev_issuer import dev_issuer_router
from adapters.http.routers.me_notifications import router as notifications_router
from adapters.http.routers.meetings import router as meetings_router
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
    install_error_handlers(app)
    app.include_router(health.router)
    # Identity (issue 4): sign-in, own record, admin's users, public keys.
    app.include_router(auth.router)
    app.include_router(me.router)
    app.include_router(users.router)
    app.include_router(well_known.router)
    # Scheduling: notifications, availability, meetings, calendar feeds.
    app.include_router(notifications_router)
    app.include_router(meetings_router)
    app.include_router(calendar_router)
    # Onboarding (issue 5): NPOs, offerings, communities, leaders, reports.
    for router in ONBOARDING_ROUTERS:
        app.include_router(router)
    for router in CAREERS_ROUTERS:
        app.include_router(router)
    if built.identity.dev_issuer is not None:
        app.include_router(dev_issuer_router(built.identity.dev_issuer))
    if isinstance(built.blobs, LocalDiskBlobStore):
        app.include_router(blob_router(built.blobs))
    return app


def app_from_environment() -> FastAPI:
    """Entry point for ``uvicorn --factory``."""
    return create_app(Settings())
