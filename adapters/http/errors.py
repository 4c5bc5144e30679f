"""Every error leaves as ``application/problem+json`` (RFC 9457); mapped only here.

Refusals of the domain, commands and queries are mapped by their base class in
``domain.base`` (``_STATUS_OF_REFUSAL``), so routes need no error handling of their
own: a handler's refusal reaches the caller with the same status from every route.
``Problem`` and its kinds describe the documents in the OpenAPI document
(``adapters.http.openapi``).

Errors no handler maps are answered by ``ErrorBoundary``, a small ASGI middleware
inside Starlette's own (which would log a traceback, message included, and
re-raise): a backend that cannot be reached (``ports.errors.is_outage``) is a 503
naming the backend, with ``Retry-After``; anything else is a 500. Either is logged
in one line, the error's type and where, never its message: messages may quote
personal data.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.identity.refresh_tokens import InvalidRefreshTokenError
from adapters.identity.tokens import InvalidAccessTokenError
from adapters.observability.logs import innermost_frame
from adapters.oidc.verifier import IdTokenError, IssuerUnavailableError
from domain.base import (
    ConflictError,
    DomainError,
    GoneError,
    InvalidFieldError,
    NotAllowedError,
    NotFoundError,
    TooLargeError,
    UnavailableError,
    UnsupportedContentError,
)
from ports.errors import backend_of, is_outage

PROBLEM_JSON = "application/problem+json"
logger = logging.getLogger(__name__)


class FieldProblem(BaseModel):
    """One refused input: its dotted name and why."""

    field: str = Field(description="The field, e.g. `location.country`; `body`.")
    reason: str


class Problem(BaseModel):
    """An error (RFC 9457 problem details), sent as ``application/problem+json``."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(default="about:blank", description="Always `about:blank`.")
    title: str = Field(description="The status in words, e.g. `Not found`.")
    status: int = Field(ge=400, le=599, description="The HTTP status, repeated.")
    detail: str | SkipJsonSchema[None] = Field(
        default=None, description="What went wrong, written to be shown."
    )


class ValidationProblem(Problem):
    """A 422: the request, or a value in it, was refused; ``errors`` says where."""

    errors: list[FieldProblem] = Field(min_length=1)


class LagProblem(Problem):
    """A 504 of read-your-writes: the views are ``lag`` events behind the token."""

    lag: int = Field(ge=1, description="How many events the views are behind.")


class BackendProblem(Problem):
    """A 503: something this needs cannot be reached now; ``backend`` names it.
    Try again after the ``Retry-After`` header's seconds."""

    backend: str = Field(
        description="What cannot be reached: `postgres`, `mongodb`, `redis`, "
        "`kafka`, `s3`, `event store`, `sign-in provider`; `backend` if unknown."
    )


class ProblemError(StarletteHTTPException):
    """An HTTP error whose problem document carries extra members (e.g. ``lag``)."""

    def __init__(self, status_code: int, detail: str, **extra: Any) -> None:
        super().__init__(status_code, detail)
        self.extra = extra


def problem(
    status: int, title: str, detail: str | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    if status == 422 and "errors" not in body:
        body["errors"] = [_field_problem(detail or "")]
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


# A refusal's message names its field first ("after: unknown source 'x'").
_NAMED_FIELD = re.compile(r"^(?P<field>[A-Za-z_][\w.-]*): (?P<reason>.+)$", re.DOTALL)


def _field_problem(detail: str) -> dict[str, str]:
    match = _NAMED_FIELD.match(detail)
    if match is None:
        return {"field": "body", "reason": detail or "The request is not valid."}
    return {"field": match["field"], "reason": match["reason"]}


def _field_path(location: tuple[Any, ...] | list[Any]) -> str:
    """``("body", "modules", 0, "id")`` → ``"modules[0].id"``: the field's own name
    (no "body"/"query" prefix), spelled as the domain's checks spell it."""
    parts = list(location)
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "body"


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [
        {"field": _field_path(e.get("loc", ())), "reason": str(e.get("msg", ""))}
        for e in error.errors()
    ]
    detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
    return problem(422, "Invalid request", detail, errors=errors)


def _http_error(
    routes: Sequence[BaseRoute],
) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def handle(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        extra = getattr(error, "extra", {})
        response = problem(
            error.status_code, _title(error.status_code), str(error.detail), **extra
        )
        for name, value in (error.headers or {}).items():
            response.headers[name] = value
        if error.status_code == 405:
            # Starlette names the methods of the first route matching the path only.
            allowed = _methods_at(routes, request.url.path)
            if allowed:
                response.headers["Allow"] = ", ".join(allowed)
        return response

    return handle


def _methods_at(routes: Sequence[BaseRoute], path: str) -> list[str]:
    """Every method some route serves at ``path`` (for ``Allow``, RFC 9110)."""
    methods: set[str] = set()
    for route in routes:
        if isinstance(route, Route) and route.path_regex.match(path):
            methods |= route.methods or set()
    return sorted(methods)


# The first matching row decides, so subclasses come before their bases.
_STATUS_OF_REFUSAL: tuple[tuple[type[DomainError], int], ...] = (
    (GoneError, 410),
    (NotFoundError, 404),
    (NotAllowedError, 403),
    (TooLargeError, 413),
    (UnsupportedContentError, 415),
    (InvalidFieldError, 422),
    (UnavailableError, 503),
    (ConflictError, 409),
)


def status_of_refusal(error: DomainError) -> int:
    for kind, status in _STATUS_OF_REFUSAL:
        if isinstance(error, kind):
            return status
    return 409  # any other refusal: the current state does not allow it


async def _refusal(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    status = status_of_refusal(error)
    extensions = error.extensions()
    if isinstance(error, InvalidFieldError):
        extensions["errors"] = [{"field": error.field, "reason": error.reason}]
    if status == 503:
        extensions.setdefault("backend", UNKNOWN_BACKEND)  # every 503 names one
    return problem(status, _title(status), str(error), **extensions)


# Credentials that are not (or no longer) good: an ID token, an access or a refresh
# token. Their messages say why and are written to be shown.
_REFUSED_CREDENTIALS = (IdTokenError, InvalidAccessTokenError, InvalidRefreshTokenError)


async def _refused_credentials(request: Request, error: Exception) -> JSONResponse:
    response = problem(401, _title(401), str(error))
    response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response


async def _provider_unavailable(request: Request, error: Exception) -> JSONResponse:
    return problem(
        503,
        _title(503),
        "The sign-in provider cannot be reached.",
        backend="sign-in provider",
    )


# What a 503 names when nothing says which backend it was.
UNKNOWN_BACKEND = "backend"


def _in_a_second(backend: str) -> int:
    return 1


def outage_answer(backend: str, retry_after_seconds: int) -> JSONResponse:
    """The 503 of an outage: the backend named, when to try again, no message."""
    named = "A backend" if backend == UNKNOWN_BACKEND else f"The {backend} backend"
    response = problem(
        503,
        _title(503),
        f"{named} is unavailable; try again shortly.",
        backend=backend,
    )
    response.headers["Retry-After"] = str(max(1, retry_after_seconds))
    return response


def unexpected_answer() -> JSONResponse:
    return problem(500, "Internal error", "The error has been logged.")


class ErrorBoundary:
    """Answers every error that reaches it, so none reaches Starlette's
    ``ServerErrorMiddleware`` (whose traceback would carry the message).

    An outage is a 503 (``outage_answer``) naming ``backend_of(error)``, the
    event store's backend (``event_store_backend``) when the error does not say;
    ``retry_after`` gives whole seconds for that backend (a circuit breaker's
    cool-down left). Anything else is a 500. One line is logged per error.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        event_store_backend: str = "event store",
        retry_after: Callable[[str], int] | None = None,
    ) -> None:
        self.app = app
        self._event_store_backend = event_store_backend
        self._retry_after = retry_after or _in_a_second

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as error:  # noqa: BLE001 - every error is answered here
            response = self._answer(scope, error)
            if not started:  # else too late to answer: the server ends the response
                await response(scope, receive, send)

    def _answer(self, scope: Scope, error: Exception) -> JSONResponse:
        method, path = scope.get("method", "?"), scope.get("path", "?")
        if is_outage(error):
            backend = backend_of(error, default=self._event_store_backend)
            logger.warning(
                "backend unavailable: %s from %s on %s %s",
                type(error).__name__,
                backend,
                method,
                path,
            )
            return outage_answer(backend, self._retry_after(backend))
        logger.error(
            "unhandled %s on %s %s at %s",
            type(error).__name__,
            method,
            path,
            innermost_frame(error),
        )
        return unexpected_answer()


_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    410: "Gone",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Invalid request",
    503: "Service unavailable",
    504: "Gateway timeout",
}


def _title(status: int) -> str:
    """The status in words: ours, else the standard phrase (never a bare "Error")."""
    if status in _TITLES:
        return _TITLES[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Client error" if status < 500 else "Server error"


def install_error_handlers(
    app: FastAPI,
    routers: Sequence[APIRouter] = (),
    *,
    event_store_backend: str = "event store",
    retry_after: Callable[[str], int] | None = None,
) -> None:
    """The handlers of every error; ``routers`` are the app's, for 405's ``Allow``.

    ``event_store_backend`` names the event store in a 503 (``postgres`` when it
    is PostgreSQL); ``retry_after`` says in how many seconds to try a backend again.
    """
    app.add_middleware(
        ErrorBoundary,
        event_store_backend=event_store_backend,
        retry_after=retry_after,
    )
    routes = [route for router in routers for route in router.routes]
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error(routes))
    app.add_exception_handler(DomainError, _refusal)
    for refused in _REFUSED_CREDENTIALS:
        app.add_exception_handler(refused, _refused_credentials)
    app.add_exception_handler(IssuerUnavailableError, _provider_unavailable)
