"""The careers context's routers, listed once in ``adapters.http.app``."""

from __future__ import annotations

from fastapi import APIRouter

from adapters.http.careers import recommendations

ROUTERS: tuple[APIRouter, ...] = (recommendations.router,)
