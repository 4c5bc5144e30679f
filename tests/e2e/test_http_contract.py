"""What schemathesis found the API answering other than its document says, each
replayed: the request it sent, and the answer now.

The document's own promises are in ``tests/unit/test_openapi_document.py``; the
schemathesis run is ``test_openapi_schemathesis.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from adapters.bootstrap import Container
from adapters.http.app import create_app
from adapters.settings import Settings
from commands.base import Actor
from commands.identity.messages import BootstrapAdmin
from tests.support.identity import SignedIn, assert_problem, sign_in
from tests.support.onboarding import offering, profile


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(event_store="popo"))) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def admin(client: TestClient) -> SignedIn:
    container: Container = client.app.state.container  # type: ignore[attr-defined]
    email = f"admin-{uuid4().hex[:8]}@example.org"
    container.dispatcher.dispatch(BootstrapAdmin(actor=Actor.system("t"), email=email))
    return sign_in(client, email)


def refused_fields(response: Any) -> list[str]:
    body = assert_problem(response, 422)
    assert body["title"] == "Invalid request"
    return [e["field"] for e in body["errors"]]


# --- 405 names every method of the path -----------------------------------------


def test_a_method_not_served_is_answered_with_every_method_of_the_path(
    client: TestClient,
) -> None:
    ada = sign_in(client)

    # Check OPTIONS /me names the three methods served there, not only the first.
    response = client.options("/me", headers=ada.headers)
    assert_problem(response, 405)
    assert response.headers["allow"] == "DELETE, GET, PATCH"

    # Check the same where two routes share a path: /users/{id}/roles/{role}.
    response = client.post(f"/users/{uuid4()}/roles/NPO", headers=ada.headers)
    assert_problem(response, 405)
    assert response.headers["allow"] == "DELETE, PUT"


# --- every 422 names its field, with one title ------------------------------------


def test_a_bad_consistency_token_is_an_invalid_request_naming_after(
    client: TestClient,
) -> None:
    ada = sign_in(client)
    response = client.get("/me", headers=ada.headers, params={"after": "zzz"})
    assert refused_fields(response) == ["after"]


def test_a_domain_refusal_is_an_invalid_request_too(client: TestClient) -> None:
    ada = sign_in(client)
    response = client.put(
        "/me/availability",
        headers=ada.headers,
        json={"time_zone": "Nowhere/Never", "ranges": []},
    )
    assert refused_fields(response) == ["time_zone"]


def test_a_body_that_is_not_json_is_a_bad_request(client: TestClient) -> None:
    response = client.post(
        "/auth/sign-in",
        content=b"&\x11\xef",
        headers={"content-type": "application/json"},
    )
    assert_problem(response, 400)


# --- JSON's types are not coerced into others --------------------------------------


def test_a_date_of_birth_is_a_date_not_a_number(client: TestClient) -> None:
    ada = sign_in(client)
    response = client.patch("/me", headers=ada.headers, json={"date_of_birth": 0})
    assert refused_fields(response) == ["date_of_birth"]

    # Check a date as text is still taken.
    taken = client.patch(
        "/me", headers=ada.headers, json={"date_of_birth": "1990-05-17"}
    )
    assert taken.status_code == 200, taken.text


def test_a_weekday_is_a_number_not_true_or_false(client: TestClient) -> None:
    ada = sign_in(client)
    ranges = [{"weekday": False, "start": "09:00", "end": "17:30"}]
    response = client.put(
        "/me/availability",
        headers=ada.headers,
        json={"time_zone": "Europe/Berlin", "ranges": ranges},
    )
    assert refused_fields(response) == ["ranges[0].weekday"]


def test_a_time_of_day_is_one(client: TestClient) -> None:
    ada = sign_in(client)
    for start, end in (("60:17", "06:52"), ("09:00", "24:01"), ("24:00", "24:00")):
        response = client.put(
            "/me/availability",
            headers=ada.headers,
            json={
                "time_zone": "Europe/Berlin",
                "ranges": [{"weekday": 1, "start": start, "end": end}],
            },
        )
        assert response.status_code == 422, (start, end)

    # Check a range may end at midnight.
    taken = client.put(
        "/me/availability",
        headers=ada.headers,
        json={
            "time_zone": "Europe/Berlin",
            "ranges": [{"weekday": 1, "start": "18:00", "end": "24:00"}],
        },
    )
    assert taken.status_code == 200, taken.text


def test_email_verified_is_true_or_false_not_a_number(client: TestClient) -> None:
    response = client.post(
        "/dev-issuer/token",
        json={"email": "0@0.0", "email_verified": 0, "nonce": "00000000"},
    )
    assert refused_fields(response) == ["email_verified"]


def test_an_email_with_a_next_line_character_is_refused(client: TestClient) -> None:
    response = client.post(
        "/dev-issuer/token", json={"email": "a\x85b@c.de", "nonce": "00000000"}
    )
    assert refused_fields(response) == ["email"]


def test_whole_numbers_may_be_written_3_0_but_not_as_text_or_true(
    client: TestClient, admin: SignedIn
) -> None:
    policy: dict[str, object] = {"leader_npo_cap": 10, "communities_per_leader": 3.0}
    taken = client.put("/onboarding-policy", headers=admin.headers, json=policy)
    assert taken.status_code == 200, taken.text

    for cap in ("3", True):
        policy = {"leader_npo_cap": 10, "communities_per_leader": cap}
        response = client.put("/onboarding-policy", headers=admin.headers, json=policy)
        assert refused_fields(response) == ["communities_per_leader"]

    leader_cap = client.put(
        f"/leaders/{uuid4()}/cap", headers=admin.headers, json={"npo_cap": True}
    )
    assert refused_fields(leader_cap) == ["npo_cap"]


def test_an_npo_location_is_on_the_globe(client: TestClient) -> None:
    owner = sign_in(client, roles=("NPO",))
    location = {"region": "Bay Area", "latitude": 91.0, "longitude": 0.0}
    response = client.post(
        "/npos", headers=owner.headers, json=profile(location=location)
    )
    assert refused_fields(response) == ["location.latitude"]


def test_an_attribute_key_ends_where_it_ends(client: TestClient) -> None:
    owner = sign_in(client, roles=("NPO",))
    created = client.post("/npos", headers=owner.headers, json=profile())
    assert created.status_code == 201, created.text
    npo_id = created.json()["ids"][0]

    # Check a key with a line break after it is not a key (it was taken as one).
    response = client.post(
        f"/npos/{npo_id}/offerings",
        headers=owner.headers,
        json=offering(attributes={"seats\n": 3}),
    )
    # The refusal names the field, not the key: a bad key is not echoed back.
    assert refused_fields(response) == ["attributes"]


def test_a_module_id_is_checked_by_its_pattern(client: TestClient) -> None:
    owner = sign_in(client, roles=("NPO",))
    created = client.post("/npos", headers=owner.headers, json=profile())
    npo_id = created.json()["ids"][0]
    modules = [{"id": "$x", "kind": "reading", "title": "Read"}]
    response = client.post(
        f"/npos/{npo_id}/offerings",
        headers=owner.headers,
        json=offering(modules=modules),
    )
    assert refused_fields(response) == ["modules[0].id"]


# --- parameters have their shapes ---------------------------------------------------


def test_parameters_are_checked_by_their_shapes(client: TestClient) -> None:
    ada = sign_in(client)
    for url, field in (
        ("/me/notifications?cursor=not%20a%20cursor", "cursor"),
        ("/me/meetings?cursor=%24%24", "cursor"),
        (f"/npos/{uuid4()}/offerings?status=BOGUS", "status[0]"),
        (f"/offerings/{uuid4()}/resources/XYZ/download", "resource_id"),
        ("/calendar/" + "%24" * 30 + ".ics", "feed_token"),
    ):
        response = client.get(url, headers=ada.headers)
        assert refused_fields(response) == [field], url

    response = client.post("/me/notifications/not-an-id/read", headers=ada.headers)
    assert refused_fields(response) == ["notification_id"]
