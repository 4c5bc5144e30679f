"""Recommendations on the composed app against real PostgreSQL: careers' view of
assessments and suggestions (the mentor assigned by the real assignment), read with
an embedded offering search view filled directly, and the person's erasure leaving
nothing of theirs in any table. The story with the PostgreSQL search view is
``test_candidate_story_real``."""

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
from commands.careers.process_manager import PROCESS_MANAGER
from commands.identity.messages import BootstrapAdmin
from domain.careers.candidate import Candidate
from projections.careers.recommendations import RECOMMENDATIONS_PROJECTION
from tests.integration.test_identity_real import _postgres_tables_containing
from tests.support.identity import SignedIn, sign_in
from tests.support.offering_search import SearchIndex
from tests.support.recommendations import needs, summary

pytestmark = pytest.mark.real_services


@dataclass
class Deployment:
    client: TestClient
    container: Container
    search: SearchIndex

    def after_erasure(self, token: str) -> None:
        """Wait until careers reacted to identity's erasure (``token``), and the
        view applied what careers recorded then."""
        engine = self.container.engine
        source, position = token.split(":")
        assert engine.wait_for(source, int(position), [PROCESS_MANAGER], 30) == 0
        head = engine.head("careers")
        assert engine.wait_for("careers", head, [RECOMMENDATIONS_PROJECTION], 30) == 0


@pytest.fixture
def deployment(postgres_url: str, postgres_schema: str) -> Iterator[Deployment]:
    search = SearchIndex()
    container = build_container(
        Settings(postgres_url=postgres_url, postgres_schema=postgres_schema),
        offering_search=search.search,
    )
    with TestClient(create_app(container=container)) as client:
        yield Deployment(client, container, search)
    container.close()
    search.close()


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
    profile = client.put(
        "/me/mentor-profile",
        json={"categories": ["interview_prep"]},
        headers=mentor.headers,
    )
    assert profile.status_code == 200, profile.text
    interviews = summary(tags=("mock-interview",))
    attire = summary(categories=("business_attire",), tags=("suit",))
    deployment.search.publish(interviews)
    deployment.search.publish(attire)
    assessed = client.post(
        "/me/assessments",
        json=needs(
            needs={
                "interview_prep": {
                    "level": "urgent",
                    "text": f"Mock interview {needles[0]}",
                }
            }
        ),
        headers=candidate.headers,
    )
    assert assessed.status_code == 201, assessed.text
    # Check the mentor with a profile was assigned.
    assert careers.repository.get(UUID(candidate.user_id)).mentor_id == (mentor.user_id)
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
    assert any("careers_assessments_v" in t for t in found), found
    assert any("car_rec_suggestions_v" in t for t in found), found
    assert not any("careers_events" in t for t in found), found

    erased = client.delete("/me", headers=candidate.headers)
    assert erased.status_code == 200, erased.text
    deployment.after_erasure(erased.json()["consistency_token"])

    # Check nothing the candidate or their mentor wrote about them is left.
    assert _postgres_tables_containing(postgres_url, needles) == []
    # Check the careers events still load: the record is erased, its assessments
    # forgotten.
    record: Candidate = careers.repository.get(UUID(candidate.user_id))
    assert record.erased
    assert record.assessments == []
    assert record.suggestions == {attire.offering_id: mentor.user_id}
