"""``GET /offerings`` on the composed embedded app (SQLite FTS5): what any signed-in
user finds, filters, facets, pages, refusals naming the parameter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from adapters.bootstrap import Container, build_container
from adapters.http.app import create_app
from adapters.settings import Settings
from tests.support.onboarding_http import OnboardingClient
from tests.support.search_http import approved_npo, ids, search


@pytest.fixture
def world(tmp_path: Path) -> Iterator[OnboardingClient]:
    container: Container = build_container(
        Settings(event_store="popo", data_dir=tmp_path)
    )
    try:
        with TestClient(create_app(container=container)) as client:
            yield OnboardingClient.start(client, container, "root@example.org")
    finally:
        container.close()


RESUME = {
    "title": "Resume writing",
    "summary": "One-to-one reviews",
    "location": {"region": "Bay Area", "country": "us", "remote": True},
    "deadlines": [],
}
PANTRY = {
    "title": "Grocery pantry",
    "summary": "Free groceries every week",
    "categories": ["grocery_meals"],
    "tags": ["food"],
    "location": {"region": "Lagos", "country": "NG", "address": "1 Main St"},
    "deadlines": [],
}


def test_a_candidate_finds_published_offerings_with_a_typo(
    world: OnboardingClient,
) -> None:
    client = world.client
    leader = world.leader()
    community_id = world.community(world.admin, ["resume-writing"], leader)
    published = approved_npo(world, leader, [RESUME, PANTRY], name="Bridgeway")
    pending = approved_npo(world, leader, [RESUME], approve=False)
    candidate = world.user("CANDIDATE")
    resume_id, pantry_id = published.offering_ids

    # Check the typo finds the offering of the approved NPO only.
    found = search(world, candidate, published.token, q="resme writting")
    assert ids(found) == [resume_id]
    [hit] = found["items"]
    assert hit["npo_name"] == "Bridgeway"
    assert (hit["country"], hit["format"]) == ("US", "online")
    assert hit["community_ids"] == [community_id]
    assert hit["score"] > 0
    assert (found["total"], found["facets"]) == (1, {"resume_writing": 1})
    assert pending.offering_ids[0] not in ids(search(world, candidate))

    # Check filters and facets without text (newest first).
    browse = search(world, candidate, limit=1)
    assert ids(browse) == [pantry_id]
    assert browse["facets"] == {"resume_writing": 1, "grocery_meals": 1}
    second = search(world, candidate, limit=1, cursor=browse["next_cursor"])
    assert ids(second) == [resume_id]
    assert second["next_cursor"] is None
    assert ids(search(world, candidate, category="grocery_meals")) == [pantry_id]
    assert ids(search(world, candidate, tag="Food")) == [pantry_id]
    assert ids(search(world, candidate, country="us")) == [resume_id]
    assert ids(search(world, candidate, format="in_person")) == [pantry_id]
    assert ids(search(world, candidate, region="LAGOS")) == [pantry_id]
    assert ids(search(world, candidate, community_id=community_id)) == [
        pantry_id,
        resume_id,
    ]
    assert ids(search(world, candidate, npo_id=pending.npo_id)) == []
    assert ids(search(world, candidate, open_deadline="true")) == [
        pantry_id,
        resume_id,
    ]

    # Check every signed-in user finds the same; a taken-down offering leaves.
    assert ids(search(world, pending.owner, q="pantry")) == [pantry_id]
    taken = world.ok(
        client.post(
            f"/offerings/{resume_id}/takedown",
            json={"reason": "Out of date"},
            headers=world.admin.headers,
        )
    )
    gone = search(world, candidate, taken["consistency_token"], q="resume")
    assert (ids(gone), gone["total"], gone["facets"]) == ([], 0, {})


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"format": "anywhere"}, "format"),
        ({"country": "USA"}, "country"),
        ({"country": "1x"}, "country"),
        ({"category": "Not a slug!"}, "category[0]"),
        ({"tag": "#?"}, "tag[0]"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"npo_id": "not-a-uuid"}, "npo_id"),
        ({"community_id": "x"}, "community_id"),
        ({"cursor": "not a cursor"}, "cursor"),
        ({"cursor": "WyJ4Il0"}, "cursor"),
        ({"q": "x" * 201}, "q"),
        ({"region": "r" * 101}, "region"),
        ({"open_deadline": "maybe"}, "open_deadline"),
    ],
)
def test_bad_parameters_are_refused_naming_them(
    world: OnboardingClient, params: dict[str, Any], field: str
) -> None:
    candidate = world.user("CANDIDATE")
    response = world.client.get("/offerings", params=params, headers=candidate.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in response.json()["errors"]]


def test_a_cursor_of_another_search_is_refused(world: OnboardingClient) -> None:
    leader = world.leader()
    world.community(world.admin, ["resume-writing"], leader)
    published = approved_npo(world, leader, [RESUME, RESUME])
    candidate = world.user("CANDIDATE")
    first = search(world, candidate, published.token, q="resume", limit=1)
    assert first["next_cursor"]
    response = world.client.get(
        "/offerings",
        params={"q": "writing", "cursor": first["next_cursor"]},
        headers=candidate.headers,
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["cursor"]
