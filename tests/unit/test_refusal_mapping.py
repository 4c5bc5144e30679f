"""Every refusal reaches an HTTP caller as problem+json, by its base in domain.base."""

from __future__ import annotations

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient

from adapters.http.errors import PROBLEM_JSON, install_error_handlers
from adapters.identity.refresh_tokens import InvalidRefreshTokenError
from adapters.identity.tokens import InvalidAccessTokenError
from adapters.oidc.verifier import IdTokenError, IssuerUnavailableError
from commands.base import ConcurrencyConflictError
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
from domain.identity.errors import UserDisabledError, UserErasedError
from queries.cursors import InvalidCursorError


def _client_raising(error: Exception) -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/refuse")
    def refuse() -> None:
        raise error

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotAllowedError("Only an admin may do this."), 403),
        (UserDisabledError("That account is disabled."), 403),
        (NotFoundError("No such NPO."), 404),
        (GoneError("This account was erased."), 410),
        (UserErasedError("This account was erased."), 410),
        (ConflictError("The NPO already has a leader."), 409),
        (ConcurrencyConflictError("The record changed; try again."), 409),
        (UnavailableError("The directory cannot be reached."), 503),
        (DomainError("Any other refusal."), 409),
    ],
)
def test_each_base_has_one_status(error: DomainError, status: int) -> None:
    response = _client_raising(error).get("/refuse")

    # Check the status comes from the base, and the message is shown as the detail.
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["detail"] == str(error)
    assert "errors" not in response.json()


@pytest.mark.parametrize(
    ("error", "status", "field"),
    [
        (
            InvalidFieldError("location.country", "must be an ISO code"),
            422,
            "location.country",
        ),
        (InvalidCursorError(), 422, "cursor"),
        (TooLargeError("size", "a file may be at most 10 bytes"), 413, "size"),
        (
            UnsupportedContentError("content_type", "only readable files"),
            415,
            "content_type",
        ),
    ],
)
def test_invalid_fields_name_the_field_and_the_reason(
    error: InvalidFieldError, status: int, field: str
) -> None:
    response = _client_raising(error).get("/refuse")

    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["errors"] == [{"field": field, "reason": error.reason}]


def test_anything_else_is_a_500_without_its_message() -> None:
    response = _client_raising(RuntimeError("ada@example.org")).get("/refuse")

    assert response.status_code == 500
    assert "ada@example.org" not in response.text


@pytest.mark.parametrize(
    "error",
    [
        IdTokenError("The ID token has expired."),
        InvalidAccessTokenError("The access token has expired."),
        InvalidRefreshTokenError("The refresh token is not valid."),
    ],
)
def test_refused_credentials_are_401_with_a_bearer_challenge(error: Exception) -> None:
    response = _client_raising(error).get("/refuse")

    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert response.json()["detail"] == str(error)


def test_an_unreachable_sign_in_provider_is_503() -> None:
    response = _client_raising(IssuerUnavailableError("dns")).get("/refuse")

    assert response.status_code == 503
    assert "dns" not in response.text


@pytest.mark.parametrize(
    ("error", "status", "title"),
    [
        (InvalidFieldError("size", "must be a whole number"), 422, "Invalid request"),
        (
            HTTPException(422, "after: expected '<source>:<position>'"),
            422,
            "Invalid request",
        ),
        (HTTPException(418, "No coffee here."), 418, "I'm a Teapot"),
        (HTTPException(429, "Slow down."), 429, "Too Many Requests"),
    ],
)
def test_every_problem_has_a_title_in_words(
    error: Exception, status: int, title: str
) -> None:
    body = _client_raising(error).get("/refuse").json()

    # Check no problem is titled a bare "Error"; every 422 names its field.
    assert body["status"] == status
    assert body["title"] == title
    if status == 422:
        assert body["errors"][0]["field"] in {"size", "after"}
