"""What the OpenAPI document promises, checked on the document itself.

Schemathesis (``tests/e2e/test_openapi_schemathesis.py``) checks the API keeps these
promises; here, that the document makes them: every error a route can answer is
listed as a problem document, and what a client reads there is right.
"""

from __future__ import annotations

from typing import Any

import pytest

from adapters.http.app import create_app
from adapters.settings import Settings

PROBLEMS = {
    "#/components/schemas/Problem",
    "#/components/schemas/ValidationProblem",
    "#/components/schemas/BackendProblem",
    "#/components/schemas/LagProblem",
}
# Not an error document: the readiness report says which backend is down.
REPORTS = {("GET", "/health/ready", "503")}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    built: dict[str, Any] = create_app(Settings(event_store="popo")).openapi()
    return built


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]


def test_every_signed_in_operation_documents_401_as_a_problem(
    document: dict[str, Any],
) -> None:
    signed_in = [(m, p, o) for m, p, o in operations(document) if o.get("security")]
    assert len(signed_in) > 40
    for method, path, operation in signed_in:
        refused = operation["responses"].get("401")
        assert refused is not None, f"{method} {path} does not document 401"
        assert list(refused["content"]) == ["application/problem+json"]
        assert "WWW-Authenticate" in refused["headers"]


def test_every_error_is_a_problem_document(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            where = f"{method} {path} {status}"
            if (method, path, status) in REPORTS:
                schema = response["content"]["application/json"]["schema"]
                assert schema["$ref"].endswith("/Readiness"), where
                continue
            if int(status) < 400:
                continue
            assert list(response["content"]) == ["application/problem+json"], where
            assert (
                response["content"]["application/problem+json"]["schema"]["$ref"]
                in PROBLEMS
            ), where
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_each_kind_of_error_has_its_members(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert set(schemas["Problem"]["required"]) == {"title", "status"}
    assert {"type", "title", "status", "detail"} <= set(
        schemas["Problem"]["properties"]
    )
    assert "errors" in schemas["ValidationProblem"]["required"]
    assert set(schemas["FieldProblem"]["required"]) == {"field", "reason"}
    assert "lag" in schemas["LagProblem"]["required"]
    assert "backend" in schemas["BackendProblem"]["required"]
    for method, path, operation in operations(document):
        responses = operation["responses"]
        kinds = (
            ("422", "ValidationProblem"),
            ("504", "LagProblem"),
            ("503", "BackendProblem"),
        )
        for status, kind in kinds:
            if (method, path, status) in REPORTS:
                continue
            if status in responses:
                schema = responses[status]["content"]["application/problem+json"]
                assert schema["schema"]["$ref"].endswith(kind), f"{method} {path}"


def test_statuses_follow_from_what_an_operation_takes(
    document: dict[str, Any],
) -> None:
    for method, path, operation in operations(document):
        responses = operation["responses"]
        parameters = {p["name"] for p in operation.get("parameters", [])}
        where = f"{method} {path}"
        if "{" in path:
            assert "404" in responses, where
        if "after" in parameters:
            assert "504" in responses, where
            assert "Spotlight-After" in parameters, where
        if "x-correlation-id" in parameters:  # a command
            assert {"403", "409", "422", "503"} <= set(responses), where
        if "requestBody" in operation:
            assert {"400", "422"} <= set(responses), where


# What answers without any backend: the process itself, the development issuer.
NO_BACKEND = {
    ("GET", "/health/live"),
    ("GET", "/dev-issuer/.well-known/openid-configuration"),
    ("GET", "/dev-issuer/jwks"),
    ("POST", "/dev-issuer/token"),
}


def test_every_operation_on_a_backend_documents_its_outage(
    document: dict[str, Any],
) -> None:
    for method, path, operation in operations(document):
        unavailable = operation["responses"].get("503")
        where = f"{method} {path}"
        if (method, path) in NO_BACKEND:
            assert unavailable is None, where
            continue
        assert unavailable is not None, f"{where} does not document 503"
        if (method, path, "503") in REPORTS:
            continue
        assert "Retry-After" in unavailable["headers"], where
        schema = unavailable["content"]["application/problem+json"]["schema"]
        assert schema["$ref"].endswith("/BackendProblem"), where


def test_the_unusual_statuses_are_documented(document: dict[str, Any]) -> None:
    paths = document["paths"]
    upload = "/offerings/{offering_id}/resources/{resource_id}/attach"
    assert {"413", "415"} <= set(paths[upload]["post"]["responses"])
    assert "413" in paths["/offerings/{offering_id}/resources"]["post"]["responses"]
    download = "/offerings/{offering_id}/resources/{resource_id}/download"
    assert "410" in paths[download]["get"]["responses"]
    assert "404" in paths["/me/availability"]["get"]["responses"]
    assert "403" in paths["/users/{user_id}"]["get"]["responses"]
    assert {"401", "503"} <= set(paths["/auth/sign-in"]["post"]["responses"])


def test_every_text_parameter_has_its_shape(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        for parameter in operation.get("parameters", []):
            schema = parameter["schema"]
            for alternative in schema.get("anyOf", [schema]):
                value = alternative.get("items", alternative)  # one of a list
                if value.get("type") != "string":
                    continue
                shaped = {"pattern", "enum", "format"} & set(value)
                assert shaped, f"{method} {path}: {parameter['name']} has no shape"


def test_the_next_page_is_asked_for_with_cursor(document: dict[str, Any]) -> None:
    page = document["components"]["schemas"]["UserPageResponse"]
    description = page["properties"]["next_cursor"]["description"]
    assert "?cursor=" in description
    assert "after" not in description
    list_users = document["paths"]["/users"]["get"]
    assert "cursor" in {p["name"] for p in list_users["parameters"]}


def test_every_link_reaches_an_operation_and_its_parameters(
    document: dict[str, Any],
) -> None:
    links = [
        link
        for _, _, operation in operations(document)
        for response in operation["responses"].values()
        for link in response.get("links", {}).values()
    ]
    assert len(links) >= 10
    for link in links:
        pointer = link["operationRef"].removeprefix("#/paths/")
        path, _, method = pointer.rpartition("/")
        target = document["paths"][path.replace("~1", "/")][method]
        taken = {f"{p['in']}.{p['name']}" for p in target.get("parameters", [])}
        assert link["parameters"], link
        assert set(link["parameters"]) <= taken, link
