"""Read-your-writes tokens over HTTP: nobody waits before being let in, a position
the log has not reached is refused at once, and the token's shape is documented.

``GET /me?after=identity:999999999999`` without a token once held a worker for the
whole read-your-writes bound, then answered 504; now it is 401 at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from adapters.bootstrap import Container
from adapters.http.app import create_app
from adapters.http.consistency import AFTER_MAX_LENGTH, AFTER_PATTERN
from adapters.settings import Settings
from commands.base import Actor
from commands.identity.messages import BootstrapAdmin
from tests.support.consistency import WaitSpy, far_beyond, spy_on_waits
from tests.support.identity import SignedIn, assert_problem, sign_in

HEADER = "Spotlight-After"


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(event_store="popo"))) as test_client:
        yield test_client


def container(client: TestClient) -> Container:
    built: Container = client.app.state.container  # type: ignore[attr-defined]
    return built


@pytest.fixture
def spy(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> WaitSpy:
    return spy_on_waits(container(client).engine, monkeypatch)


def admin(client: TestClient) -> SignedIn:
    email = f"admin-{uuid4().hex[:8]}@example.org"
    container(client).dispatcher.dispatch(
        BootstrapAdmin(actor=Actor.system("test"), email=email)
    )
    return sign_in(client, email)


def seen(client: TestClient, user: SignedIn) -> SignedIn:
    """``user``, once the views know them (so authentication itself never waits)."""
    token = user.body["consistency_token"]
    response = client.get("/me", params={"after": token}, headers=user.headers)
    assert response.status_code == 200, response.text
    return user


def _sent(where: str, token: str, headers: dict[str, str] | None = None) -> Any:
    """Keyword arguments sending ``token`` as the query or as the header."""
    headers = dict(headers or {})
    if where == "query":
        return {"params": {"after": token}, "headers": headers}
    return {"headers": {**headers, HEADER: token}}


FIELD = {"query": "after", "header": HEADER}


# --- Nobody waits before being let in ------------------------------------------------


@pytest.mark.parametrize("where", ["query", "header"])
def test_an_anonymous_request_beyond_the_head_is_401_without_waiting(
    client: TestClient, spy: WaitSpy, where: str
) -> None:
    response = client.get("/me", **_sent(where, far_beyond()))

    # Check it is refused as unauthenticated, before the engine is asked anything.
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    assert spy.asked == []
    assert spy.heads == []


def test_a_forged_access_token_with_a_far_token_is_401_without_waiting(
    client: TestClient, spy: WaitSpy
) -> None:
    response = client.get(
        "/me", **_sent("query", far_beyond(), {"Authorization": "Bearer not-a-token"})
    )
    assert_problem(response, 401)
    assert spy.asked == []
    assert spy.heads == []


def test_a_wrongly_roled_caller_is_403_without_waiting(
    client: TestClient, spy: WaitSpy
) -> None:
    eve, bob = seen(client, sign_in(client)), sign_in(client)
    spy.forget()

    # Check an admin-only list and another user's record refuse before any wait.
    assert_problem(
        client.get("/users", **_sent("query", far_beyond(), eve.headers)), 403
    )
    other = client.get(
        f"/users/{bob.user_id}", **_sent("header", far_beyond(), eve.headers)
    )
    assert_problem(other, 403)
    assert_problem(
        client.get("/leaders", **_sent("query", far_beyond(), eve.headers)), 403
    )
    assert spy.asked == []
    assert spy.heads == []


# --- A position the log has not reached -------------------------------------------


@pytest.mark.parametrize("where", ["query", "header"])
def test_a_token_beyond_the_head_is_422_at_once(
    client: TestClient, spy: WaitSpy, where: str
) -> None:
    ada = seen(client, sign_in(client))
    spy.forget()

    response = client.get("/me", **_sent(where, far_beyond(), ada.headers))

    problem = assert_problem(response, 422)
    [error] = problem["errors"]
    assert error["field"] == FIELD[where]
    assert "beyond the latest recorded" in error["reason"]
    # Check the head was looked up once and nothing waited.
    assert spy.heads == ["identity"]
    assert spy.waits == []


def test_one_past_the_head_is_refused_and_the_head_itself_is_answered(
    client: TestClient, spy: WaitSpy
) -> None:
    root = seen(client, admin(client))
    head = container(client).engine.head("identity")
    assert head >= int(root.body["consistency_token"].split(":")[1])
    spy.forget()

    beyond = client.get(
        "/users", **_sent("query", f"identity:{head + 1}", root.headers)
    )
    assert_problem(beyond, 422)
    assert spy.waits == []

    reached = client.get("/users", **_sent("query", f"identity:{head}", root.headers))
    assert reached.status_code == 200, reached.text


def test_a_beyond_head_token_of_a_source_the_route_does_not_read_is_refused(
    client: TestClient, spy: WaitSpy
) -> None:
    # The meetings view does not wait on onboarding; the token is still impossible.
    ada = seen(client, sign_in(client))
    spy.forget()
    response = client.get(
        "/me/meetings", **_sent("query", far_beyond("onboarding"), ada.headers)
    )
    assert_problem(response, 422)
    assert spy.heads == ["onboarding"]
    assert spy.waits == []


# --- The token's shape ----------------------------------------------------------------

MALFORMED = [
    "identity",
    "identity:",
    "identity:x",
    "identity:-1",
    "Identity:1",
    "identity:1:2",
    "identity: 1",
    "identity:1234567890123456789",  # 19 digits
    "i" * 50 + ":1",
    "identity:١٢",  # digits, but not ASCII ones
]


# HTTP headers carry Latin-1: the non-ASCII tokens go in the query only.
SENT_MALFORMED = [("query", t) for t in MALFORMED] + [
    ("header", t) for t in MALFORMED if t.isascii()
]


@pytest.mark.parametrize(("where", "token"), SENT_MALFORMED)
def test_a_malformed_token_is_422_naming_the_field(
    client: TestClient, spy: WaitSpy, where: str, token: str
) -> None:
    ada = seen(client, sign_in(client))
    spy.forget()
    problem = assert_problem(client.get("/me", **_sent(where, token, ada.headers)), 422)
    assert [e["field"] for e in problem["errors"]] == [FIELD[where]]
    assert spy.asked == []


@pytest.mark.parametrize("where", ["query", "header"])
def test_an_unknown_source_is_422_naming_the_field(
    client: TestClient, spy: WaitSpy, where: str
) -> None:
    ada = seen(client, sign_in(client))
    spy.forget()
    response = client.get("/me", **_sent(where, "billing:1", ada.headers))
    problem = assert_problem(response, 422)
    assert problem["errors"] == [
        {"field": FIELD[where], "reason": "unknown source 'billing'"}
    ]
    assert spy.asked == []


def test_the_openapi_document_gives_the_tokens_pattern_wherever_it_is_taken(
    client: TestClient,
) -> None:
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    taking = {}
    for path, operations in paths.items():
        for method, operation in operations.items():
            parameters = {
                (p["in"], p["name"]): p for p in operation.get("parameters", [])
            }
            if ("query", "after") in parameters or ("header", HEADER) in parameters:
                taking[f"{method.upper()} {path}"] = parameters
    assert {"GET /me", "GET /users", "GET /me/meetings", "GET /npos"} <= set(taking)
    for route, parameters in taking.items():
        for key in [("query", "after"), ("header", HEADER)]:
            assert key in parameters, f"{route} lacks {key}"
            [schema] = [
                s
                for s in parameters[key]["schema"]["anyOf"]
                if s.get("type") == "string"
            ]
            assert schema["pattern"] == AFTER_PATTERN, route
            assert schema["maxLength"] == AFTER_MAX_LENGTH, route
    # Check the documented pattern is the real one: a command's token matches it.
    assert re.fullmatch(AFTER_PATTERN, "identity:42")
    assert not any(re.fullmatch(AFTER_PATTERN, t) for t in MALFORMED)
