"""``GET /offerings`` on the composed app against real PostgreSQL (full-text search
and ``pg_trgm``), FerretDB, Redis, Kafka and S3: an NPO through the Kafka flow,
verified and approved; a search with typos; pages while offerings are added; a
taken-down offering and a deleted NPO leave at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from projections.onboarding.offering_search_postgres import PostgresOfferingSearch
from tests.support.onboarding import offering
from tests.support.onboarding_http import (
    OnboardingClient,
    RealServices,
    app_on_real_services,
)
from tests.support.search_http import approved_npo, ids, search


@pytest.fixture
def world(real_services: RealServices) -> Iterator[OnboardingClient]:
    with app_on_real_services(real_services, "srch") as (client, container, run):
        yield OnboardingClient.start(client, container, f"admin-{run}@example.org")


def test_a_search_on_postgresql_over_http(world: OnboardingClient) -> None:
    client = world.client
    assert isinstance(world.container.offering_search, PostgresOfferingSearch)
    leader = world.leader()
    community_id = world.community(world.admin, ["resume-writing"], leader)
    resume = {
        "title": "Resume writing",
        "location": {"country": "us", "remote": True},
    }
    published = approved_npo(world, leader, [resume], name="Bridgeway Careers")
    candidate = world.user("CANDIDATE")
    [first] = published.offering_ids

    # Check the typos of the requirement find the offering, by relevance.
    found = search(world, candidate, published.token, q="resme writting")
    assert ids(found) == [first]
    assert found["items"][0]["community_ids"] == [community_id]
    assert ids(search(world, candidate, q="bridgeway")) == [first]

    # Check pages of a search stay whole while offerings are added between them.
    for _ in range(4):
        world.offering(published.owner, published.npo_id, **resume)
    token = world.ok(
        client.post(
            f"/npos/{published.npo_id}/offerings",
            json=offering(**{**resume, "title": "Resume clinic"}),
            headers=published.owner.headers,
        ),
        201,
    )["consistency_token"]
    seen: list[str] = []
    page = search(world, candidate, token, q="resume", limit=2)
    while True:
        seen.extend(ids(page))
        world.offering(published.owner, published.npo_id, **resume)
        if page["next_cursor"] is None:
            break
        page = search(world, candidate, q="resume", limit=2, cursor=page["next_cursor"])
    assert len(seen) == len(set(seen)) >= 6
    assert first in seen

    # Check a taken-down offering, then the deleted NPO's, leave at once.
    taken = world.ok(
        client.post(
            f"/offerings/{first}/takedown",
            json={"reason": "Out of date"},
            headers=world.admin.headers,
        )
    )
    after = search(world, candidate, taken["consistency_token"], q="resume")
    assert first not in ids(after)
    assert after["total"] >= 6
    deleted = world.ok(
        client.request(
            "DELETE",
            f"/npos/{published.npo_id}",
            json={"reason": "Fraud"},
            headers=world.admin.headers,
        )
    )
    gone = search(world, candidate, deleted["consistency_token"], q="resume")
    assert (ids(gone), gone["total"], gone["facets"]) == ([], 0, {})
