"""The careers context's routers, listed once in ``adapters.http.app``."""

from __future__ import annotations

from fastapi import APIRouter

from adapters.http.careers import (
    candidates,
    enrolments,
    mentors,
    recommendations,
    roadmap,
    roadmap_reads,
)

ROUTERS: tuple[APIRouter, ...] = (
    candidates.me_router,
    candidates.router,
    mentors.me_router,
    mentors.router,
    mentors.policy_router,
    recommendations.router,
    roadmap.me_router,
    roadmap.router,
    enrolments.router,
    roadmap_reads.me_router,
    roadmap_reads.router,
)
