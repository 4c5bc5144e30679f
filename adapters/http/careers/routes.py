"""The careers context's routers, listed once in ``adapters.http.app``."""

from __future__ import annotations

from fastapi import APIRouter

ROUTERS: tuple[APIRouter, ...] = ()
