"""Every error leaves as ``application/problem+json`` (RFC 9457); mapped only here.

Refusals of the domain, commands and queries are mapped by their base class in
``domain.base`` (``_STATUS_OF_REFUSAL``), so routes need no error handling of their
own: a handler's refusal reaches the caller with the same status from every route.
``Problem`` and its kinds describe the documents in the OpenAPI document
(``adapters.http.openapi``).
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

from adapters.identity.refresh_tokens import InvalidRefreshTokenError
from adapters.identity.tokens import InvalidAccessTokenError
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
    return problem(status, _title(status), str(error), **extensions)


# Credentials that are not (or no longer) good: an ID token, an access or a refresh
# token. Their messages say why and are written to be shown.
_REFUSED_CREDENTIALS = (IdTokenError, InvalidAccessTokenError, InvalidRefreshTokenError)


async def _refused_credentials(request: Request, error: Exception) -> JSONResponse:
    response = problem(401, _title(401), str(error))
    response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response


async def _provider_unavailable(request: Request, error: Exception) -> JSONResponse:
    return problem(503, _title(503), "The sign-in provider cannot be reached.")


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    # Log the type and location only: messages may quote personal data.
    logger.error(
        "unhandled %s on %s %s",
        type(error).__name__,
        request.method,
        request.url.path,
    )
    return problem(500, "Internal error", "The error has been logged.")


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


def install_error_handlers(app: FastAPI, routers: Sequence[APIRouter] = ()) -> None:
    """The handlers of every error; ``routers`` are the app's, for 405's ``Allow``."""
    routes = [route for router in routers for route in router.routes]
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error(routes))
    app.add_exception_handler(DomainError, _refusal)
    for refused in _REFUSED_CREDENTIALS:
        app.add_exception_handler(refused, _refused_credentials)
    app.add_exception_handler(IssuerUnavailableError, _provider_unavailable)
    app.add_exception_handler(Exception, _unexpected_error)
