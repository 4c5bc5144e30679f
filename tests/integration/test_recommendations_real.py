"""Recommendations on the composed app against real PostgreSQL: careers' view of
assessments and suggestions, read with an in-memory offering search view, and the
person's erasure leaving nothing of theirs in any table."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from adapters.bootstrap import Container, build_container
from adapters.http.app import create_app
from adapters.settings import Settings
from commands.base import Actor
from commands.careers.application import CareersApplication
from commands.identity.messages import BootstrapAdmin
from domain.careers.candidate import Candidate
from domain.personal_data import ERASED
from projections.careers.recommendations import RECOMMENDATIONS_PROJECTION
from tests.integration.test_identity_real import _postgres_tables_containing
from tests.support.identity import SignedIn, sign_in
from tests.support.offering_search import InMemoryOfferingSearch
from tests.support.recommendations import assess, assign_mentor, summary

pytestmark = pytest.mark.real_services


@dataclass
class Deployment:
    client: TestClient
    container: Container
    search: InMemoryOfferingSearch

    def wait(self, token: str) -> None:
        source, position = token.split(":")
        lag = self.container.engine.wait_for(
            source, int(position), [RECOMMENDATIONS_PROJECTION], timeout_seconds=30
        )
        assert lag == 0


@pytest.fixture
def deployment(postgres_url: str, postgres_schema: str) -> Iterator[Deployment]:
    search = InMemoryOfferingSearch()
    container = build_container(
        Settings(postgres_url=postgres_url, postgres_schema=postgres_schema),
        offering_search=search,
    )
    with TestClient(create_app(container=container)) as client:
        yield Deployment(client, container, search)
    container.close()


def test_recommendations_and_suggestions_on_postgres_and_erased_with_the_person(
    deployment: Deployment, postgres_url: str
) -> None:
    client, container = deployment.client, deployment.container
    careers = container.application(CareersApplication)
    unique = uuid4().hex[:10]
    needles = [f"Zinnia{unique}", f"Quokka{unique}"]
    candidate = sign_in(client, roles=("CANDIDATE",))
    email = f"root-{uuid4().hex[:8]}@example.org"
    container.dispatcher.dispatch(BootstrapAdmin(actor=Actor.system("t"), email=email))
    admin = sign_in(client, email)
    mentor: SignedIn = sign_in(client)
    granted = client.put(
        f"/users/{mentor.user_id}/roles/CAREER_MENTOR", headers=admin.headers
    )
    assert granted.status_code == 200, granted.text
    client.get(
        f"/users/{mentor.user_id}",
        params={"after": granted.json()["consistency_token"]},
        headers=admin.headers,
    )
    interviews = summary(tags=("mock-interview",))
    attire = summary(categories=("business_attire",), tags=("suit",))
    deployment.search.publish(interviews)
    deployment.search.publish(attire)
    assess(
        careers,
        candidate.user_id,
        needs={
            "interview_prep": {
                "level": "urgent",
                "text": f"Mock interview {needles[0]}",
            }
        },
    )
    assign_mentor(careers, candidate.user_id, mentor.user_id)
    suggested = client.post(
        f"/candidates/{candidate.user_id}/suggestions",
        json={"offering_id": attire.offering_id, "note": f"Wear it {needles[1]}"},
        headers=mentor.headers,
    )
    assert suggested.status_code == 200, suggested.text

    read = client.get(
        "/me/recommendations",
        params={"after": suggested.json()["consistency_token"]},
        headers=candidate.headers,
    )

    assert read.status_code == 200, read.text
    first, second = read.json()["items"]
    assert (first["offering_id"], first["source"]) == (attire.offering_id, "mentor")
    assert first["suggested_by"]["note"] == f"Wear it {needles[1]}"
    assert (second["offering_id"], second["source"]) == (
        interviews.offering_id,
        "model",
    )
    assert second["reason"]["tags"] == ["mock-interview"]
    # Check the view holds the words in clear, and the event store never does.
    found = _postgres_tables_containing(postgres_url, needles)
    assert any("car_rec_needs_v" in t for t in found), found
    assert any("car_rec_suggestions_v" in t for t in found), found
    assert not any("careers_events" in t for t in found), found

    erased = client.delete("/me", headers=candidate.headers)
    assert erased.status_code == 200, erased.text
    deployment.wait(erased.json()["consistency_token"])

    # Check nothing the candidate or their mentor wrote about them is left.
    assert _postgres_tables_containing(postgres_url, needles) == []
    # Check the careers events still load, their personal fields read as erased.
    record: Candidate = careers.repository.get(UUID(candidate.user_id))
    assert [str(a) for a in record.assessments] == [ERASED]
    assert record.suggestions == {attire.offering_id: mentor.user_id}
