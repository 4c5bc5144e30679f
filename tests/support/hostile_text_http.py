"""Hostile text sent over HTTP, as a careless or hostile client sends it: each request
and what a user then sees. Run against the composed app on the embedded stores
(tests/e2e) and on the real servers (tests/integration), where the views differ."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.support.identity import SignedIn, assert_problem, sign_in
from tests.support.onboarding import offering
from tests.support.onboarding_http import OnboardingClient

# Characters refused in names: NUL, ESC, BEL, and a right-to-left override.
HOSTILE_NAMES = ("a\u0000b", "a\u001bb", "a\u0007b", "a\u202eb")


def refused_fields(response: Any) -> list[str]:
    """The fields a 422 problem document names."""
    body = assert_problem(response, 422)
    return [error["field"] for error in body["errors"]]


def me_after(client: TestClient, user: SignedIn, token: str) -> dict[str, Any]:
    """``GET /me`` once the views reflect ``token`` (read-your-writes)."""
    response = client.get("/me", params={"after": token}, headers=user.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def names_with_control_characters_are_refused(client: TestClient) -> None:
    ada = sign_in(client, given_name="Ada", family_name="Lovelace")
    for name in HOSTILE_NAMES:
        refused = client.patch("/me", json={"first_name": name}, headers=ada.headers)
        assert refused_fields(refused) == ["first_name"], name
    refused = client.patch(
        "/me", json={"address": _address(city="Spring\u0000field")}, headers=ada.headers
    )
    assert refused_fields(refused) == ["address.city"]

    # Check the users view still answers reads that wait for it, for everyone.
    changed = client.patch("/me", json={"first_name": "Adah"}, headers=ada.headers)
    assert changed.status_code == 200, changed.text
    token = changed.json()["consistency_token"]
    assert me_after(client, ada, token)["first_name"] == "Adah"
    grace = sign_in(client, given_name="Grace")
    assert me_after(client, grace, token)["first_name"] == "Grace"


def a_providers_bad_given_name_is_dropped_at_sign_in(client: TestClient) -> None:
    # The provider's claim breaks the text rules: the user signs in without it.
    ada = sign_in(client, given_name="a\u0000b", family_name="Love\u001blace")
    me = me_after(client, ada, ada.body["consistency_token"])
    assert (me["first_name"], me["last_name"]) == (None, None)
    # Check they can name themselves, and the view shows it.
    changed = client.patch("/me", json={"first_name": "Ada"}, headers=ada.headers)
    assert changed.status_code == 200, changed.text
    me = me_after(client, ada, changed.json()["consistency_token"])
    assert me["first_name"] == "Ada"


def offering_text_is_checked(world: OnboardingClient) -> None:
    client = world.client
    owner = world.user("NPO")
    npo_id = world.npo(owner)
    url = f"/npos/{npo_id}/offerings"

    refused = client.post(
        url,
        json=offering(description_html="<p>a\u0000b</p>"),
        headers=owner.headers,
    )
    assert refused_fields(refused) == ["description_html"]

    # A list of 100,000 items is refused, naming the attribute, never cut.
    many = offering(attributes={"languages": ["en"] * 100_000})
    refused = client.post(url, json=many, headers=owner.headers)
    assert refused_fields(refused) == ["attributes.languages"]
    too_many_keys = offering(attributes={f"k{i}": i for i in range(51)})
    assert refused_fields(
        client.post(url, json=too_many_keys, headers=owner.headers)
    ) == ["attributes"]
    huge = offering(attributes={"seats": 2**64})
    refused = client.post(url, json=huge, headers=owner.headers)
    assert refused_fields(refused) == ["attributes.seats"]

    # A link that looks relative but leads to another host loses its href.
    sneaky = offering(
        description_html='<p><a href="/\\evil.example/x">ours</a>'
        '<a href="/docs">docs</a></p>'
    )
    created = client.post(url, json=sneaky, headers=owner.headers)
    assert created.status_code == 201, created.text
    offering_id = created.json()["ids"][0]
    shown = client.get(
        f"/offerings/{offering_id}",
        params={"after": created.json()["consistency_token"]},
        headers=owner.headers,
    )
    assert shown.status_code == 200, shown.text
    html = shown.json()["description_html"]
    assert "evil" not in html
    assert 'href="/docs"' in html


def _address(**changes: str) -> dict[str, str]:
    address = {"line1": "1 Main St", "city": "Springfield", "country": "US"}
    address.update(changes)
    return address
