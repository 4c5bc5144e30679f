"""The offering search over HTTP: approved NPOs with offerings, and searches that
wait for what a command did (read-your-writes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from commands.base import Actor
from commands.onboarding.messages import RecordOffering
from tests.support.identity import SignedIn
from tests.support.onboarding_http import OnboardingClient


@dataclass
class PublishedNpo:
    npo_id: str
    owner: SignedIn
    offering_ids: list[str]
    token: str  # the consistency token of the last command


def approved_npo(
    world: OnboardingClient,
    leader: SignedIn,
    offerings: list[dict[str, Any]],
    *,
    approve: bool = True,
    **profile: Any,
) -> PublishedNpo:
    """An NPO with these offerings, its registration completed (the flow's work
    done directly), verified by its leader and approved by the admin."""
    owner = world.user("NPO")
    npo_id = world.npo(owner, **profile)
    ids = [world.offering(owner, npo_id, **changes) for changes in offerings]
    world.container.dispatcher.dispatch(
        RecordOffering(
            actor=Actor.system("t"), npo_id=UUID(npo_id), offering_id=UUID(ids[0])
        )
    )
    npo = world.wait_for_npo(npo_id, owner)
    assert npo["leader_id"] == leader.user_id, npo
    verified = world.ok(
        world.client.post(
            f"/npos/{npo_id}/verification",
            json={"status": "VERIFIED"},
            headers=leader.headers,
        )
    )
    token = verified["consistency_token"]
    if approve:
        approved = world.ok(
            world.client.post(f"/npos/{npo_id}/approval", headers=world.admin.headers)
        )
        token = approved["consistency_token"]
    return PublishedNpo(npo_id, owner, ids, token)


def search(
    world: OnboardingClient, who: SignedIn, after: str | None = None, **params: Any
) -> dict[str, Any]:
    query = {k: v for k, v in params.items() if v is not None}
    if after:
        query["after"] = after
    found: dict[str, Any] = world.ok(
        world.client.get("/offerings", params=query, headers=who.headers)
    )
    return found


def ids(page: dict[str, Any]) -> list[str]:
    return [item["id"] for item in page["items"]]
