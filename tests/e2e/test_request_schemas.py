"""What the OpenAPI document says a request body may hold is bounded and exact.

Every string of every request body has a ``maxLength`` and, unless it is an opaque
token, the pattern its kind or format renders (``domain.text``); every list has a
``maxItems`` and every map a ``maxProperties``, so an over-long one is refused (422
naming the field), never cut.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from adapters.http.app import create_app
from adapters.settings import Settings

# Strings that are not text a person writes: tokens, a time zone (checked against
# the zone database), the development issuer's names (dropped at sign-in when bad).
OPAQUE = {
    "POST /auth/sign-in id_token",
    "POST /auth/sign-in nonce",
    "POST /auth/refresh refresh_token",
    "POST /auth/sign-out refresh_token",
    "POST /dev-issuer/token nonce",
    "POST /dev-issuer/token given_name",
    "POST /dev-issuer/token family_name",
}


def _request_schemas() -> Iterator[tuple[str, dict[str, Any]]]:
    """Each schema within each request body, with ``METHOD path field`` (the
    field dotted from the body's root; list items and map values as their list)."""
    document = create_app(Settings(event_store="popo")).openapi()
    components = document["components"]["schemas"]

    def walk(
        schema: dict[str, Any], operation: str, field: str
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        while "$ref" in schema:
            schema = components[schema["$ref"].rsplit("/", 1)[1]]
        yield f"{operation} {field}".rstrip(), schema
        for branch in schema.get("anyOf", []):
            yield from walk(branch, operation, field)
        if "items" in schema:
            yield from walk(schema["items"], operation, field)
        for name, inner in schema.get("properties", {}).items():
            yield from walk(inner, operation, f"{field}.{name}".lstrip("."))
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            yield from walk(extra, operation, field)

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody")
            for media in (body or {}).get("content", {}).values():
                yield from walk(media["schema"], f"{method.upper()} {path}", "")


def test_every_string_list_and_map_in_a_request_body_is_bounded() -> None:
    unbounded = []
    for where, schema in _request_schemas():
        kind = schema.get("type")
        if kind == "string" and not {"maxLength", "enum", "format"} & set(schema):
            unbounded.append(f"{where}: string without maxLength")
        if kind == "array" and "maxItems" not in schema:
            unbounded.append(f"{where}: list without maxItems")
        if isinstance(schema.get("additionalProperties"), dict) and (
            "maxProperties" not in schema
        ):
            unbounded.append(f"{where}: map without maxProperties")
    assert unbounded == []


def test_every_text_in_a_request_body_says_which_characters_it_takes() -> None:
    undescribed = {
        where
        for where, schema in _request_schemas()
        if schema.get("type") == "string"
        and not {"pattern", "enum", "format"} & set(schema)
    }
    assert undescribed == OPAQUE
