"""Recommendations and a mentor's suggestions over HTTP, on the composed app.

Real users signed in through the development issuer; assessments completed and
mentors assigned over HTTP (a mentor with a profile takes the candidate). The
offering search view is the embedded one, filled directly
(``tests.support.offering_search``) and given to the composition root; the whole
story, offerings published by an approved NPO, is ``test_candidate_story_http``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from adapters.bootstrap import Container, build_container
from adapters.http.app import create_app
from adapters.settings import Settings
from commands.base import Actor
from commands.careers.application import CareersApplication
from commands.identity.messages import BootstrapAdmin
from ports.offering_search import OFFERING_SEARCH_VIEW
from projections.careers.candidates import CANDIDATES_PROJECTION
from projections.careers.recommendations import RECOMMENDATIONS_PROJECTION
from tests.support.identity import SignedIn, assert_problem, sign_in
from tests.support.offering_search import SearchIndex
from tests.support.recommendations import needs, summary


@dataclass
class World:
    client: TestClient
    container: Container
    search: SearchIndex
    admin: SignedIn

    @property
    def careers(self) -> CareersApplication:
        return self.container.application(CareersApplication)

    def mentor(self) -> SignedIn:
        user = sign_in(self.client)
        granted = self.client.put(
            f"/users/{user.user_id}/roles/CAREER_MENTOR", headers=self.admin.headers
        )
        assert granted.status_code == 200, granted.text
        seen = self.client.get(
            f"/users/{user.user_id}",
            params={"after": granted.json()["consistency_token"]},
            headers=self.admin.headers,
        )
        assert "CAREER_MENTOR" in seen.json()["roles"], seen.text
        profile = self.client.put(
            "/me/mentor-profile",
            json={"categories": ["interview_prep"]},
            headers=user.headers,
        )
        assert profile.status_code == 200, profile.text
        return user

    def assess(self, candidate: SignedIn) -> str:
        """The candidate completes an assessment (``needs()``); its token."""
        done = self.client.post(
            "/me/assessments", json=needs(), headers=candidate.headers
        )
        assert done.status_code == 201, done.text
        token: str = done.json()["consistency_token"]
        return token

    def recommendations(
        self, who: SignedIn, after: str | None, **params: object
    ) -> list[dict[str, object]]:
        response = self.client.get(
            "/me/recommendations",
            params={**({"after": after} if after else {}), **params},
            headers=who.headers,
        )
        assert response.status_code == 200, response.text
        items: list[dict[str, object]] = response.json()["items"]
        return items


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    search = SearchIndex()
    container = build_container(
        Settings(event_store="popo", data_dir=tmp_path, recommendations_limit=5),
        offering_search=search.search,
    )
    with TestClient(create_app(container=container)) as client:
        email = f"root-{uuid4().hex[:8]}@example.org"
        container.dispatcher.dispatch(
            BootstrapAdmin(actor=Actor.system("test"), email=email)
        )
        yield World(client, container, search, sign_in(client, email))
    container.close()
    search.close()


def test_a_candidate_reads_their_recommendations_with_reasons(world: World) -> None:
    candidate = sign_in(world.client, roles=("CANDIDATE",))
    interviews = summary(tags=("mock-interview",))
    food = summary(categories=("grocery_meals",), tags=())
    world.search.publish(interviews)
    world.search.publish(food)
    # Before any assessment: nothing to recommend.
    assert world.recommendations(candidate, None) == []

    token = world.assess(candidate)

    (item,) = world.recommendations(candidate, token)
    assert item["offering_id"] == interviews.offering_id
    assert item["source"] == "model"
    assert item["suggested_by"] is None
    assert item["reason"] == {
        "needs": [{"category": "interview_prep", "level": "urgent"}],
        "tags": ["mock-interview"],
        "location": "same_region",
        "format": "in_person",
        "languages": [],
    }
    # Check a taken-down offering leaves the list at once.
    world.search.hide(interviews.offering_id)
    assert world.recommendations(candidate, None) == []


def test_at_most_the_configured_number_are_shown(world: World) -> None:
    candidate = sign_in(world.client, roles=("CANDIDATE",))
    for _ in range(8):
        world.search.publish(summary())
    token = world.assess(candidate)

    assert len(world.recommendations(candidate, token)) == 5  # the setting
    assert len(world.recommendations(candidate, None, limit=2)) == 2
    assert len(world.recommendations(candidate, None, limit=50)) == 5
    refused = world.client.get(
        "/me/recommendations", params={"limit": 0}, headers=candidate.headers
    )
    assert_problem(refused, 422)


def test_only_candidates_read_recommendations_and_only_their_own(world: World) -> None:
    npo = sign_in(world.client, roles=("NPO",))
    assert world.client.get("/me/recommendations").status_code == 401
    assert_problem(world.client.get("/me/recommendations", headers=npo.headers), 403)
    # Check one candidate's assessment never shows in another's list.
    ada = sign_in(world.client, roles=("CANDIDATE",))
    bob = sign_in(world.client, roles=("CANDIDATE",))
    world.search.publish(summary())
    token = world.assess(ada)
    assert len(world.recommendations(ada, token)) == 1
    assert world.recommendations(bob, token) == []


def test_the_mentor_suggests_and_the_mentee_sees_it_first(world: World) -> None:
    candidate = sign_in(world.client, roles=("CANDIDATE",))
    mentor = world.mentor()
    world.assess(candidate)
    picked = summary()
    attire = summary(categories=("business_attire",), tags=("suit",))
    world.search.publish(picked)
    world.search.publish(attire)

    response = world.client.post(
        f"/candidates/{candidate.user_id}/suggestions",
        json={"offering_id": attire.offering_id, "note": "For your interview"},
        headers=mentor.headers,
    )

    assert response.status_code == 200, response.text
    assert response.json()["ids"] == [candidate.user_id]
    first, second = world.recommendations(
        candidate, response.json()["consistency_token"]
    )
    assert first["offering_id"] == attire.offering_id
    assert first["source"] == "mentor"
    suggested = first["suggested_by"]
    assert isinstance(suggested, dict)
    assert suggested["mentor_id"] == mentor.user_id
    assert suggested["note"] == "For your interview"
    assert second["offering_id"] == picked.offering_id


def test_suggestions_are_refused_as_problems_naming_the_field(world: World) -> None:
    candidate = sign_in(world.client, roles=("CANDIDATE",))
    mentor = world.mentor()
    world.assess(candidate)
    stranger = world.mentor()  # joins once the candidate has their mentor
    offering = summary()
    world.search.publish(offering)
    url = f"/candidates/{candidate.user_id}/suggestions"

    def post(who: SignedIn, body: object, path: str = url) -> Any:
        return world.client.post(path, json=body, headers=who.headers)

    # Check another mentor, and a made-up candidate, are told there is none.
    assert_problem(post(stranger, {"offering_id": offering.offering_id}), 404)
    assert_problem(
        post(
            mentor,
            {"offering_id": offering.offering_id},
            f"/candidates/{uuid4()}/suggestions",
        ),
        404,
    )
    # Check the candidate, not a mentor, is refused.
    assert_problem(post(candidate, {"offering_id": offering.offering_id}), 403)
    # Check bad input names the field.
    for body, field in (
        ({"offering_id": "nope"}, "offering_id"),
        ({"offering_id": str(uuid4())}, "offering_id"),
        ({"offering_id": offering.offering_id, "note": "x" * 501}, "note"),
        ({"offering_id": offering.offering_id, "note": "a\x00b"}, "note"),
    ):
        problem = assert_problem(post(mentor, body), 422)
        assert field in str(problem), (body, problem)
    huge = world.client.post(
        url,
        content=b'{"offering_id": "'
        + offering.offering_id.encode()
        + b'", "note": "'
        + b"x" * 10_000_000
        + b'"}',
        headers={**mentor.headers, "Content-Type": "application/json"},
    )
    assert huge.status_code in (413, 422), huge.status_code
    # Check nothing was recorded.
    assert (
        getattr(
            world.careers.repository.get(UUID(candidate.user_id)), "suggestions", {}
        )
        == {}
    )


def test_the_recommendations_wait_for_every_view_they_read(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    candidate = sign_in(world.client, roles=("CANDIDATE",))
    world.assess(candidate)
    engine = world.container.engine
    asked: list[tuple[str, list[str]]] = []
    wait_for = engine.board.wait_for

    def recorded(
        source: str, position: int, names: Iterable[str], timeout: float
    ) -> int:
        asked.append((source, list(names)))
        return wait_for(source, position, names, timeout)

    monkeypatch.setattr(engine.board, "wait_for", recorded)

    # Check a careers token waits for careers' views (the latest assessment, the
    # suggestions), an onboarding one (an offering published or taken down) for
    # the offering search view.
    for source, views in (
        ("careers", [CANDIDATES_PROJECTION, RECOMMENDATIONS_PROJECTION]),
        ("onboarding", [OFFERING_SEARCH_VIEW]),
    ):
        asked.clear()
        world.recommendations(candidate, f"{source}:{_head(world, source)}")
        assert asked
        assert all(sorted(names) == views for _, names in asked), asked


def _head(world: World, source: str) -> int:
    return world.container.engine.head(source)
