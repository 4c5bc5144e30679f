"""The careers context's routers, listed once in ``adapters.http.app``."""

from __future__ import annotations

from fastapi import APIRouter

from adapters.http.careers import candidates, mentors

ROUTERS: tuple[APIRouter, ...] = (
    mentors.me_router,
    mentors.router,
    mentors.policy_router,
    candidates.me_router,
)
