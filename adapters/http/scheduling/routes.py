"""The scheduling context's routers, listed once in ``adapters.http.app``."""

from __future__ import annotations

from fastapi import APIRouter

from adapters.http.scheduling import availability, calendar, meetings, notifications

ROUTERS: tuple[APIRouter, ...] = (
    notifications.router,
    availability.router,
    meetings.router,
    calendar.router,
)
