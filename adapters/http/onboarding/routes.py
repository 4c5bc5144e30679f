"""The onboarding context's routers, listed once in ``adapters.http.app``."""

from __future__ import annotations

from fastapi import APIRouter

from adapters.http.onboarding import communities, npos, offering_search, offerings

ROUTERS: tuple[APIRouter, ...] = (
    npos.router,
    npos.me_router,
    offering_search.router,
    offerings.router,
    offerings.categories_router,
    communities.router,
    communities.leaders_router,
    communities.policy_router,
)
