"""The OpenAPI document tells what each operation can answer, errors included.

FastAPI documents a route's success and, for a route with inputs, a 422 in its own
``application/json`` shape. Our errors leave as ``application/problem+json``
(``adapters.http.errors``), and which ones a route can answer follows from what it
depends on, so they are derived here, once, from each route's dependencies:

- signed in (``current_user``): 401;
- a role gate (a dependency that takes the signed-in user and hands it back, e.g.
  ``require_roles``), or a command (``dispatcher_of``, whose handlers check roles and
  ownership): 403;
- an id in the path: 404;
- a command: 409 (the state does not allow it, or changed meanwhile) and 422 (a
  domain rule refused a value);
- the container's backends (a dependency or the route itself takes the ``Request``,
  through which every port is reached; commands always do): 503 with the backend
  that cannot be reached and ``Retry-After``;
- a body: 400 (not parseable as its media type);
- any input (path, query, header, cookie, body): 422;
- read-your-writes (an ``after`` query parameter): 504 with the lag.

A route declares with ``responses=`` only what is particular to it (413/415 of an
upload, 404 of a record that may be missing...); a declaration without a body of its
own gets the problem document too. A command that creates something links its answer
to what may follow (``links_to``): the new id, and its consistency token as ``after``.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from adapters.http.auth import CurrentUser, current_user
from adapters.http.commands import dispatcher_of
from adapters.http.errors import (
    PROBLEM_JSON,
    BackendProblem,
    LagProblem,
    Problem,
    ValidationProblem,
)

# What each derived status means, as the document says it.
_MEANING: dict[int, str] = {
    400: "The body cannot be parsed (e.g. it is not JSON).",
    401: "Not signed in, or the access token is invalid or expired, or the account "
    "is disabled or erased.",
    403: "Your roles, or whose record it is, do not allow this.",
    404: "No such resource, or not one you may see.",
    409: "The current state does not allow this, or it changed meanwhile.",
    422: "Invalid request: `errors` names each field and the reason.",
    503: "Something this needs cannot be reached now: `backend` names it. Try "
    "again after `Retry-After` seconds.",
    504: "The views did not reach the consistency token in time; `lag` says how "
    "many events they are behind.",
}

_PROBLEM_OF_STATUS: dict[int, type[Problem]] = {
    422: ValidationProblem,
    503: BackendProblem,
    504: LagProblem,
}

# Values of a command's answer (``Accepted``), for ``links_to``.
FIRST_ID = "$response.body#/ids/0"
CONSISTENCY_TOKEN = "$response.body#/consistency_token"  # noqa: S105 - a pointer


def links_to(*operations: str, **values: str) -> dict[str, Any]:
    """OpenAPI links from a response to ``operations`` ("GET /npos/{npo_id}").

    ``values`` fill each operation's parameters of that name: a path parameter, or
    ``after``, the consistency token, as the query parameter and the header of
    read-your-writes. The document keeps only those an operation takes.
    """
    links: dict[str, Any] = {}
    for operation in operations:
        method, path = operation.split(" ", 1)
        parameters: dict[str, str] = {}
        for name, value in values.items():
            if name == "after":
                parameters["query.after"] = value
                parameters["header.Spotlight-After"] = value
            else:
                parameters[f"path.{name}"] = value
        pointer = path.replace("~", "~0").replace("/", "~1")
        name = method.lower() + "".join(
            word.title() for word in re.findall(r"[a-z]+", path)
        )
        links[name] = {
            "operationRef": f"#/paths/{pointer}/{method.lower()}",
            "parameters": parameters,
        }
    return links


def _keep_taken_link_parameters(document: dict[str, Any]) -> None:
    paths: dict[str, Any] = document.get("paths", {})
    for operations in paths.values():
        for operation in operations.values():
            for response in operation.get("responses", {}).values():
                for link in response.get("links", {}).values():
                    _, _, pointer = link["operationRef"].partition("#/paths/")
                    path, _, method = pointer.rpartition("/")
                    path = path.replace("~1", "/").replace("~0", "~")
                    target = paths[path][method]
                    taken = {
                        f"{p['in']}.{p['name']}" for p in target.get("parameters", [])
                    }
                    link["parameters"] = {
                        k: v for k, v in link["parameters"].items() if k in taken
                    }


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from _dependencies(sub)


def _returns_current_user(call: Callable[..., Any] | None) -> bool:
    if call is None:
        return False
    try:
        hints = typing.get_type_hints(call)
    except (NameError, TypeError):  # a callable FastAPI knows more about than we do
        return False
    return hints.get("return") is CurrentUser


def error_statuses(route: APIRoute) -> set[int]:
    """The error statuses ``route`` can answer, derived from its dependencies."""
    dependant = route.dependant
    everything = [dependant, *_dependencies(dependant)]
    calls = {d.call for d in everything}
    signed_in = current_user in calls
    gated = any(
        _returns_current_user(d.call) for d in everything if d.call is not current_user
    )
    command = dispatcher_of in calls
    path_ids = any(d.path_params for d in everything)
    body = route.body_field is not None
    inputs = (
        body
        or path_ids
        or any(
            d.query_params or d.header_params or d.cookie_params or d.body_params
            for d in everything
        )
    )
    reads_after = any(p.alias == "after" for d in everything for p in d.query_params)
    # Every port is reached through the app's container, from the request.
    reaches_backends = any(d.request_param_name for d in everything)
    statuses: set[int] = set()
    if body:
        statuses.add(400)
    if signed_in:
        statuses.add(401)
    if gated or command:
        statuses.add(403)
    if path_ids:
        statuses.add(404)
    if command:
        statuses.add(409)
    if command or reaches_backends:
        statuses.add(503)
    if inputs or command:
        statuses.add(422)
    if reads_after:
        statuses.add(504)
    return statuses


def _problem_content(status: int) -> dict[str, Any]:
    model = _PROBLEM_OF_STATUS.get(status, Problem)
    return {
        PROBLEM_JSON: {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
    }


def _www_authenticate() -> dict[str, Any]:
    return {
        "WWW-Authenticate": {
            "description": "The Bearer challenge (RFC 6750).",
            "schema": {"type": "string"},
        }
    }


def _retry_after() -> dict[str, Any]:
    return {
        "Retry-After": {
            "description": "Seconds to wait before trying again (RFC 9110).",
            "schema": {"type": "integer", "minimum": 1},
        }
    }


def _describe_operation(operation: dict[str, Any], statuses: set[int]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    # FastAPI's own 422 (HTTPValidationError as application/json) is not what we send.
    default_422 = responses.get("422", {}).get("content", {}).get("application/json")
    if default_422 is not None and "HTTPValidationError" in str(default_422):
        del responses["422"]
    for status in statuses:
        responses.setdefault(str(status), {"description": _MEANING[status]})
    for key, response in responses.items():
        if not key.isdigit() or int(key) < 400 or "content" in response:
            continue  # a success, or an error the route describes itself
        status = int(key)
        response["content"] = _problem_content(status)
        if status == 401:
            response.setdefault("headers", _www_authenticate())
        if status == 503:
            response.setdefault("headers", _retry_after())
    operation["responses"] = dict(sorted(responses.items()))


def _add_problem_schemas(document: dict[str, Any]) -> None:
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault(
        "schemas", {}
    )
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    for model in (Problem, ValidationProblem, BackendProblem, LagProblem):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    document["components"]["schemas"] = dict(sorted(schemas.items()))


def describe_errors(
    document: dict[str, Any], routers: Sequence[APIRouter]
) -> dict[str, Any]:
    """``document`` with every operation's error statuses as problem documents.

    ``routers`` are those the app includes as they are (no prefix added), so each
    route's path is its path in the document.
    """
    paths: dict[str, Any] = document.get("paths", {})
    routes = [route for router in routers for route in router.routes]
    for route in routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        operations = paths.get(route.path_format, {})
        statuses = error_statuses(route)
        for method in route.methods or ():
            operation = operations.get(method.lower())
            if operation is not None:
                _describe_operation(operation, statuses)
    _add_problem_schemas(document)
    _keep_taken_link_parameters(document)
    return document


def install_openapi(app: FastAPI, routers: Sequence[APIRouter]) -> None:
    """Serve ``describe_errors`` of FastAPI's document (built once, on first ask)."""
    build = app.openapi

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = describe_errors(build(), routers)
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]
