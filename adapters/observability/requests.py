"""Every HTTP request's correlation id and duration: one small ASGI middleware.

Pure ASGI (no ``BaseHTTPMiddleware``, which runs the app in a task of its own and
costs the read path tuned in ADR 016): per request it reads one header, sets one
context variable, adds one response header and, when asked, reports the route's
template, method, status and seconds (``adapters.observability.metrics``).

The caller's ``X-Correlation-Id`` is kept when it is sane (``is_sane``: 1 to 100 of
``A-Z a-z 0-9 . _ : -``); otherwise, or when absent, a new one is made. The id is in
``scope["correlation_id"]`` (``adapters.http.commands`` gives it to commands, so it
reaches the events and, from them, the Kafka headers), in the context variable of
``ports.correlation`` (every log line written while the request is handled) and on
every response, errors and 404s included: this middleware is the outermost.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from commands.base import new_correlation_id
from ports.correlation import enter_correlation, leave_correlation

HEADER = "X-Correlation-Id"
_HEADER_KEY = HEADER.lower().encode()
SCOPE_KEY = "correlation_id"
MAX_LENGTH = 100
_SANE = re.compile(rb"[A-Za-z0-9._:\-]{1,%d}" % MAX_LENGTH)

# The methods labelled by name; any other a caller makes up is "other".
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"

# A request's route template (``/npos/{npo_id}``), method, status and seconds.
ObserveRequest = Callable[[str, str, int, float], None]

# The route label of a request no route matched (never the raw path: one series
# per path would let any caller grow the metrics without bound).
UNMATCHED = "unmatched"


def is_sane(value: bytes) -> bool:
    return _SANE.fullmatch(value) is not None


def correlation_of(scope: Scope) -> str:
    """The request's correlation id (this middleware's choice)."""
    found = scope.get(SCOPE_KEY)
    return found if isinstance(found, str) else new_correlation_id()


class ObservedRequests:
    def __init__(self, app: ASGIApp, observe: ObserveRequest | None = None) -> None:
        self.app = app
        self._observe = observe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = None
        for name, value in scope["headers"]:
            if name == _HEADER_KEY:
                raw = value
                break
        correlation = (
            raw.decode() if raw is not None and is_sane(raw) else new_correlation_id()
        )
        scope[SCOPE_KEY] = correlation
        header = (_HEADER_KEY, correlation.encode())
        status = 500  # if the app ends without answering, the server says 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        token = enter_correlation(correlation)
        started = time.perf_counter()
        try:
            await self.app(scope, receive, sending)
        finally:
            leave_correlation(token)
            if self._observe is not None:
                route = scope.get("route")
                template = getattr(route, "path", None) or UNMATCHED
                method = scope["method"]
                self._observe(
                    template,
                    method if method in KNOWN_METHODS else OTHER_METHOD,
                    status,
                    time.perf_counter() - started,
                )
