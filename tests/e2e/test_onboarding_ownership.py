"""Ownership beside the role checks (the permission matrix covers roles): an NPO user
changes only NPOs they belong to, a leader verifies only NPOs assigned to them, and
nobody else reads an unapproved NPO's offerings or an NPO's report."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from adapters.bootstrap import Container, build_container
from adapters.http.app import create_app
from adapters.settings import Settings
from commands.base import Actor
from commands.onboarding.messages import RecordOffering
from tests.support.identity import SignedIn
from tests.support.onboarding import offering, profile
from tests.support.onboarding_http import OnboardingClient


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


def test_only_members_and_insiders(world: OnboardingClient) -> None:
    client = world.client
    leader, other_leader = world.leader(), world.leader()
    world.community(world.admin, ["resume-writing"], leader)
    owner, stranger = world.user("NPO"), world.user("NPO")
    candidate = world.user("CANDIDATE")
    npo_id = world.npo(owner)
    offering_id = world.offering(owner, npo_id)
    # The embedded bus carries the flow too; here the consumer's work is done
    # directly so the test does not wait on a thread.
    world.container.dispatcher.dispatch(
        RecordOffering(
            actor=Actor.system("t"), npo_id=UUID(npo_id), offering_id=UUID(offering_id)
        )
    )
    world.wait_for_npo(npo_id, owner)

    def status(method: str, url: str, who: SignedIn, json: Any = None) -> int:
        response = client.request(method, url, headers=who.headers, json=json)
        code: int = response.status_code
        return code

    # An NPO user who is not a member changes nothing of it.
    assert status("PUT", f"/npos/{npo_id}", stranger, json=profile()) == 403
    assert status("POST", f"/npos/{npo_id}/offerings", stranger, json=offering()) == 403
    update = {**offering(), "version": 1}
    assert status("PUT", f"/offerings/{offering_id}", stranger, json=update) == 403
    assert status("DELETE", f"/offerings/{offering_id}", stranger) == 403
    upload = {"filename": "a.pdf", "content_type": "application/pdf", "size": 10}
    assert (
        status("POST", f"/offerings/{offering_id}/resources", stranger, json=upload)
        == 403
    )
    # Only the leader assigned verifies.
    verdict = {"status": "VERIFIED"}
    assert (
        status("POST", f"/npos/{npo_id}/verification", other_leader, json=verdict)
        == 403
    )
    # Unapproved: invisible to everyone outside; the report is the members' own.
    for outsider in (stranger, candidate, other_leader):
        assert status("GET", f"/npos/{npo_id}", outsider) == 404
        assert status("GET", f"/offerings/{offering_id}", outsider) == 404
        assert status("GET", f"/npos/{npo_id}/offerings", outsider) == 404
        assert status("GET", f"/npos/{npo_id}/report", outsider) == 404
    assert status("GET", f"/npos/{npo_id}", leader) == 200
    assert status("GET", f"/offerings/{offering_id}", leader) == 200
    assert status("GET", f"/npos/{npo_id}/report", owner) == 200
    mine = client.get("/me/npos", headers=stranger.headers).json()
    assert mine["items"] == []


def test_members_and_leaders_are_looked_up_in_the_identity_context(
    world: OnboardingClient,
) -> None:
    client, admin = world.client, world.admin
    owner, colleague = world.user("NPO"), world.user("NPO")
    candidate, leader = world.user("CANDIDATE"), world.leader()
    npo_id = world.npo(owner)
    community_id = world.community(admin, ["resume-writing"])

    def put(url: str, who: SignedIn) -> int:
        code: int = client.put(url, headers=who.headers).status_code
        return code

    # Check the roles identity knows decide: an NPO user joins, a candidate not.
    assert put(f"/npos/{npo_id}/members/{colleague.user_id}", owner) == 200
    assert put(f"/npos/{npo_id}/members/{candidate.user_id}", owner) == 422
    assert put(f"/communities/{community_id}/leaders/{leader.user_id}", admin) == 200
    assert put(f"/communities/{community_id}/leaders/{owner.user_id}", admin) == 422
    # Check nobody identity does not know can be added.
    nobody = "00000000-0000-4000-8000-000000000000"
    assert put(f"/npos/{npo_id}/members/{nobody}", owner) == 404
    assert put(f"/communities/{community_id}/leaders/{nobody}", admin) == 404
