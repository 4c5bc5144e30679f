"""The NPO story over HTTP on the composed app against real PostgreSQL, FerretDB,
Redis, Kafka and S3 (moto): profile and members, an offering with a PDF, the Kafka
flow to COMPLETE and a leader, verification, approval, visibility, reports, a flagged
NPO deleted, leaders' caps and the FIFO queue."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.onboarding import PDF_BYTES, PNG_BYTES, offering
from tests.support.onboarding_http import (
    OnboardingClient,
    RealServices,
    app_on_real_services,
)


@pytest.fixture
def world(real_services: RealServices) -> Iterator[OnboardingClient]:
    with app_on_real_services(real_services, "onb") as (client, container, run):
        yield OnboardingClient.start(client, container, f"admin-{run}@example.org")


def test_the_npo_story_over_http(world: OnboardingClient) -> None:
    client, admin = world.client, world.admin
    leader_a, leader_b = world.leader(), world.leader()
    owner, colleague = world.user("NPO"), world.user("NPO")
    candidate = world.user("CANDIDATE")
    # A leader founds a community (CL4); the admin staffs it (CL5).
    community_id = world.community(leader_a, ["resume-writing"], leader_a, leader_b)

    # NP1: the NPO, PENDING, with a platform id; the creator adds a colleague.
    npo_id = world.npo(owner)
    npo = world.ok(client.get(f"/npos/{npo_id}", headers=owner.headers))
    assert (npo["registration_status"], npo["members"]) == ("PENDING", [owner.user_id])
    added = client.put(
        f"/npos/{npo_id}/members/{colleague.user_id}", headers=owner.headers
    )
    world.ok(added)
    refused = client.put(
        f"/npos/{npo_id}/members/{candidate.user_id}", headers=owner.headers
    )
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "user_id", "reason": "the user does not hold the NPO role"}
    ]
    assert (
        client.put(
            f"/npos/{npo_id}/members/{owner.user_id}", headers=colleague.headers
        ).status_code
        == 403
    )

    # The colleague publishes; the Kafka flow completes the NPO with a leader.
    offering_id = world.offering(colleague, npo_id)
    npo = world.wait_for_npo(npo_id, owner)
    assert npo["leader_id"] == leader_a.user_id
    assert npo["community_ids"] == [community_id]
    assert npo["offering_ids"] == [offering_id]

    # NP2/#7: a PDF through a presigned upload to S3; a PNG posing as a PDF refused.
    ticket = world.ok(
        client.post(
            f"/offerings/{offering_id}/resources",
            json={
                "filename": "guide.pdf",
                "content_type": "application/pdf",
                "size": len(PDF_BYTES),
            },
            headers=colleague.headers,
        ),
        201,
    )
    put = httpx.put(ticket["upload_url"], content=PDF_BYTES, headers=ticket["headers"])
    assert put.status_code == 200, put.text
    world.ok(
        client.post(
            f"/offerings/{offering_id}/resources/{ticket['resource_id']}/attach",
            headers=colleague.headers,
        )
    )
    fake = world.ok(
        client.post(
            f"/offerings/{offering_id}/resources",
            json={"filename": "x.pdf", "content_type": "application/pdf", "size": 40},
            headers=owner.headers,
        ),
        201,
    )
    httpx.put(fake["upload_url"], content=PNG_BYTES, headers=fake["headers"])
    refused = client.post(
        f"/offerings/{offering_id}/resources/{fake['resource_id']}/attach",
        headers=owner.headers,
    )
    assert refused.status_code == 415
    assert refused.headers["content-type"] == "application/problem+json"
    too_big = client.post(
        f"/offerings/{offering_id}/resources",
        json={
            "filename": "big.pdf",
            "content_type": "application/pdf",
            "size": 11 * 1024 * 1024,
        },
        headers=owner.headers,
    )
    assert too_big.status_code == 413
    exe = client.post(
        f"/offerings/{offering_id}/resources",
        json={
            "filename": "x.exe",
            "content_type": "application/x-msdownload",
            "size": 9,
        },
        headers=owner.headers,
    )
    assert exe.status_code == 422

    # Not approved yet: candidates see nothing; members see it sanitised.
    assert (
        client.get(f"/offerings/{offering_id}", headers=candidate.headers).status_code
        == 404
    )
    mine = world.ok(client.get(f"/offerings/{offering_id}", headers=owner.headers))
    assert mine["description_html"] == "<p>Bring your <strong>CV</strong>.</p>"
    assert {r["filename"]: r["state"] for r in mine["resources"]} == {
        "guide.pdf": "READY",
        "x.pdf": "REJECTED",
    }
    assert "key" not in mine["resources"][0]

    # CL6: the assigned leader's report; the other leader sees none of it.
    report = world.ok(client.get("/me/assigned-npos", headers=leader_a.headers))
    assert [
        (n["id"], n["registration_status"], n["verification_status"])
        for n in report["items"]
    ] == [(npo_id, "COMPLETE", "UNVERIFIED")]
    assert (
        world.ok(client.get("/me/assigned-npos", headers=leader_b.headers))["items"]
        == []
    )
    assert client.get("/me/assigned-npos", headers=owner.headers).status_code == 403

    # CL1 then A3: the leader verifies, the admin approves; candidates now see it.
    assert (
        client.post(
            f"/npos/{npo_id}/verification",
            json={"status": "VERIFIED"},
            headers=leader_b.headers,
        ).status_code
        == 403
    )
    world.ok(
        client.post(
            f"/npos/{npo_id}/verification",
            json={"status": "VERIFIED"},
            headers=leader_a.headers,
        )
    )
    approved = world.ok(client.post(f"/npos/{npo_id}/approval", headers=admin.headers))
    after = approved["consistency_token"]
    public = world.ok(
        client.get(f"/offerings/{offering_id}?after={after}", headers=candidate.headers)
    )
    assert public["title"] == "Resume clinic"
    link = world.ok(
        client.get(
            f"/offerings/{offering_id}/resources/{ticket['resource_id']}/download",
            headers=candidate.headers,
        )
    )
    assert httpx.get(link["url"]).content == PDF_BYTES
    seen_by_candidate = world.ok(
        client.get(f"/npos/{npo_id}", headers=candidate.headers)
    )
    assert seen_by_candidate["contact"] is None  # insiders only
    assert seen_by_candidate["name"] == npo["name"]

    # NP5: the NPO's report, for its members only.
    mine_report = world.ok(
        client.get(f"/npos/{npo_id}/report", headers=colleague.headers)
    )
    assert mine_report["offering_counts"] == {"ACTIVE": 1}
    assert mine_report["npo"]["verification_status"] == "VERIFIED"
    for stranger in (candidate, leader_a, world.user("NPO")):
        assert (
            client.get(f"/npos/{npo_id}/report", headers=stranger.headers).status_code
            == 404
        )

    # NP3: edits name their version; A1: the admin takes it down.
    stale = client.put(
        f"/offerings/{offering_id}",
        json={**offering(title="Renamed"), "version": 1},
        headers=owner.headers,
    )
    assert stale.status_code == 409
    current = mine["version"]
    world.ok(
        client.put(
            f"/offerings/{offering_id}",
            json={**offering(title="Renamed"), "version": current},
            headers=owner.headers,
        )
    )
    down = world.ok(
        client.post(
            f"/offerings/{offering_id}/takedown",
            json={"reason": "Misleading"},
            headers=admin.headers,
        )
    )
    gone = client.get(
        f"/offerings/{offering_id}?after={down['consistency_token']}",
        headers=candidate.headers,
    )
    assert gone.status_code == 404
    listed = world.ok(
        client.get(f"/npos/{npo_id}/offerings?status=TAKEN_DOWN", headers=owner.headers)
    )
    assert [(o["title"], o["status"]) for o in listed["items"]] == [
        ("Renamed", "TAKEN_DOWN")
    ]


def test_a_flagged_npo_is_deleted_and_its_leader_serves_the_next_in_line(
    world: OnboardingClient,
) -> None:
    client, admin = world.client, world.admin
    leader = world.leader()
    world.ok(
        client.put(
            "/onboarding-policy",
            json={"leader_npo_cap": 1, "communities_per_leader": 2},
            headers=admin.headers,
        )
    )
    world.community(admin, ["resume-writing"], leader)
    fake_owner, next_owner = world.user("NPO"), world.user("NPO")
    fake_id = world.npo(fake_owner)
    fake_offering = world.offering(fake_owner, fake_id)
    world.wait_for_npo(fake_id, fake_owner)
    next_id = world.npo(next_owner)
    world.offering(next_owner, next_id)
    waiting = world.wait_for_npo(next_id, next_owner, leader=False)
    communities = world.ok(client.get("/communities", headers=admin.headers))
    assert [c["waiting"] for c in communities if c["tags"]] == [[next_id]]

    flagged = client.post(
        f"/npos/{fake_id}/verification",
        json={"status": "FLAGGED"},
        headers=leader.headers,
    )
    assert flagged.status_code == 422  # a flag needs its reason
    world.ok(
        client.post(
            f"/npos/{fake_id}/verification",
            json={"status": "FLAGGED", "reason": "No such registration id"},
            headers=leader.headers,
        )
    )
    assert (
        client.post(f"/npos/{fake_id}/approval", headers=admin.headers).status_code
        == 409
    )
    assert (
        client.request(
            "DELETE",
            f"/npos/{fake_id}",
            json={"reason": "fake"},
            headers=fake_owner.headers,
        ).status_code
        == 403
    )
    deleted = world.ok(
        client.request(
            "DELETE",
            f"/npos/{fake_id}",
            json={"reason": "Registration id not found"},
            headers=admin.headers,
        )
    )
    token = deleted["consistency_token"]
    served = world.ok(
        client.get(f"/npos/{next_id}?after={token}", headers=next_owner.headers)
    )
    assert (served["leader_id"], served["waiting_for_leader_in"]) == (
        leader.user_id,
        None,
    )
    assert waiting["waiting_for_leader_in"] is not None
    report = world.ok(
        client.get(f"/npos/{fake_id}/report?after={token}", headers=fake_owner.headers)
    )
    assert report["npo"]["deleted"] is True
    assert [(o["id"], o["status"]) for o in report["offerings"]] == [
        (fake_offering, "TAKEN_DOWN")
    ]
    mine = world.ok(
        client.get(f"/me/assigned-npos?after={token}", headers=leader.headers)
    )
    assert [n["id"] for n in mine["items"]] == [next_id]
    leaders = world.ok(client.get(f"/leaders?after={token}", headers=admin.headers))
    assert [
        (r["leader_id"], r["active_npos"], r["effective_cap"]) for r in leaders
    ] == [(leader.user_id, 1, 1)]


def test_unmatched_npos_wait_in_the_default_community_until_an_admin_places_them(
    world: OnboardingClient,
) -> None:
    client, admin = world.client, world.admin
    leader = world.leader()
    housing = world.community(admin, ["rent-housing"], leader)
    owner = world.user("NPO")
    npo_id = world.npo(owner, service_areas=["gardening"])
    world.offering(owner, npo_id, categories=["child_care"], tags=["kids"])
    waiting = world.wait_for_npo(npo_id, owner, leader=False)
    communities = world.ok(client.get("/communities", headers=admin.headers))
    default = next(c for c in communities if c["is_default"])
    assert waiting["waiting_for_leader_in"] == default["id"]
    assert default["waiting"] == [npo_id]
    placed = world.ok(
        client.put(
            f"/npos/{npo_id}/communities",
            json={"community_ids": [housing]},
            headers=admin.headers,
        )
    )
    npo = world.ok(
        client.get(
            f"/npos/{npo_id}?after={placed['consistency_token']}", headers=owner.headers
        )
    )
    assert (npo["leader_id"], npo["community_ids"]) == (leader.user_id, [housing])


def test_caps_and_a_leader_leaving_move_npos_first_in_first_out(
    world: OnboardingClient,
) -> None:
    client, admin = world.client, world.admin
    world.ok(
        client.put(
            "/onboarding-policy",
            json={"leader_npo_cap": 1, "communities_per_leader": 1},
            headers=admin.headers,
        )
    )
    first, second = world.leader(), world.leader()
    careers = world.community(admin, ["resume-writing"], first, second)
    # CL5: one community per leader here.
    other = world.community(admin, ["rent-housing"])
    refused = client.put(
        f"/communities/{other}/leaders/{first.user_id}", headers=admin.headers
    )
    assert refused.status_code == 409
    owners = [world.user("NPO") for _ in range(3)]
    ids = [world.npo(owner) for owner in owners]
    for owner, npo_id in zip(owners, ids, strict=True):
        world.offering(owner, npo_id)
        world.wait_for_npo(npo_id, owner, leader=npo_id != ids[2])
    # A raised cap serves the waiting NPO at once.
    raised = world.ok(
        client.put(
            f"/leaders/{first.user_id}/cap", json={"npo_cap": 2}, headers=admin.headers
        )
    )
    third = world.ok(
        client.get(
            f"/npos/{ids[2]}?after={raised['consistency_token']}",
            headers=owners[2].headers,
        )
    )
    assert third["leader_id"] == first.user_id
    # The first leader leaves: their two NPOs wait (the second leader is full).
    left = world.ok(
        client.delete(
            f"/communities/{careers}/leaders/{first.user_id}", headers=admin.headers
        )
    )
    after = left["consistency_token"]
    community = world.ok(
        client.get(f"/communities/{careers}?after={after}", headers=admin.headers)
    )
    assert community["leaders"] == [second.user_id]
    assert community["waiting"] == [ids[0], ids[2]]  # in completion order
    # A higher default cap serves them, first completed first.
    served = world.ok(
        client.put(
            "/onboarding-policy",
            json={"leader_npo_cap": 3, "communities_per_leader": 1},
            headers=admin.headers,
        )
    )
    mine = world.ok(
        client.get(
            f"/me/assigned-npos?after={served['consistency_token']}",
            headers=second.headers,
        )
    )
    assert sorted(n["id"] for n in mine["items"]) == sorted(ids)
    assert (
        world.ok(client.get("/me/assigned-npos", headers=first.headers))["items"] == []
    )
