"""The leader cap holds end to end: three API instances, their offering-flow
consumers sharing one Kafka group, 100 NPOs completing at once against 5 leaders
with a cap of 10 (real PostgreSQL, FerretDB, Redis, Kafka and S3)."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from adapters.bootstrap import Container, build_container
from adapters.http.app import create_app
from adapters.kafka.inbound import InboundStats
from adapters.s3.blobs import S3BlobStore
from adapters.settings import Settings
from commands.onboarding.application import OnboardingApplication
from commands.onboarding.inbound import OFFERING_FLOW_CONSUMER
from tests.support.identity import SignedIn, sign_in
from tests.support.onboarding import offering
from tests.support.onboarding_http import OnboardingClient, fresh_database

INSTANCES = 3
NPOS = 100
LEADERS = 5
CAP = 10


@pytest.fixture
def instances(
    *,
    tmp_path: Path,
    postgres_url: str,
    mongo_url: str,
    redis_url: str,
    kafka_bootstrap: str,
    s3_endpoint: str,
) -> Iterator[list[OnboardingClient]]:
    run = uuid.uuid4().hex[:10]
    with fresh_database(postgres_url) as database_url, ExitStack() as stack:
        settings = Settings(
            data_dir=tmp_path,
            postgres_url=database_url,
            mongo_url=mongo_url,
            mongo_database=f"it_conc_{run}",
            redis_url=redis_url,
            kafka_bootstrap=kafka_bootstrap,
            s3_endpoint=s3_endpoint,
            s3_bucket=f"it-conc-{run}",
            onboarding_offerings_topic=f"it-conc-offerings-{run}",
        )
        containers: list[Container] = []
        for _ in range(INSTANCES):
            container = build_container(settings)
            stack.callback(container.close)
            containers.append(container)
        assert isinstance(containers[0].blobs, S3BlobStore)
        containers[0].blobs.ensure_bucket()
        stack.callback(containers[0].documents.drop, "offerings_v1")
        clients = [
            stack.enter_context(TestClient(create_app(container=c))) for c in containers
        ]
        first = OnboardingClient.start(clients[0], containers[0], f"admin-{run}@x.org")
        yield [first] + [
            OnboardingClient(client, container, first.admin)
            for client, container in zip(clients[1:], containers[1:], strict=True)
        ]


def wait_until_every_offering_is_handled(instances: list[OnboardingClient]) -> None:
    consumers = [i.container.consumers[OFFERING_FLOW_CONSUMER] for i in instances]
    deadline = time.monotonic() + 60
    while sum(c.stats.done for c in consumers) < NPOS:
        if time.monotonic() > deadline:
            pytest.fail(f"handled so far: {[c.stats for c in consumers]}")
        # Woken by the next message of one consumer, in turn; a consumer that has
        # finished its partitions gives way after a moment.
        turn = consumers[int(time.monotonic() * 20) % len(consumers)]
        seen = turn.stats.done
        turn.wait_for(partial(_more_than, seen), 0.05)


def _more_than(seen: int, stats: InboundStats) -> bool:
    return stats.done > seen


def test_a_hundred_completions_at_once_fill_five_leaders_to_their_cap(
    instances: list[OnboardingClient],
) -> None:
    world = instances[0]
    admin = world.admin
    policy = world.client.put(
        "/onboarding-policy",
        json={"leader_npo_cap": CAP, "communities_per_leader": 3},
        headers=admin.headers,
    )
    world.ok(policy)
    leaders = [world.leader() for _ in range(LEADERS)]
    world.community(admin, ["resume-writing"], *leaders)
    owners: list[SignedIn] = [
        sign_in(world.client, roles=("NPO",)) for _ in range(NPOS)
    ]
    npo_ids = [world.npo(owner) for owner in owners]

    # Offerings are created through every instance; each instance's consumer takes
    # its share of the topic's partitions, so completions run in parallel.
    for index, (owner, npo_id) in enumerate(zip(owners, npo_ids, strict=True)):
        instance = instances[index % INSTANCES]
        created = instance.client.post(
            f"/npos/{npo_id}/offerings", json=offering(), headers=owner.headers
        )
        assert created.status_code == 201, created.text
    wait_until_every_offering_is_handled(instances)

    head = world.container.application(OnboardingApplication).recorder
    after = f"onboarding:{head.max_notification_id()}"
    npos: list[dict[str, Any]] = [
        world.ok(
            world.client.get(
                f"/npos/{npo_id}", params={"after": after}, headers=admin.headers
            )
        )
        for npo_id in npo_ids
    ]
    per_leader = Counter(n["leader_id"] for n in npos if n["leader_id"])
    waiting = [n for n in npos if n["waiting_for_leader_in"]]
    # Check every NPO is COMPLETE, exactly 50 have a leader, each leader is at its
    # cap and no higher, and the other 50 wait.
    assert {n["registration_status"] for n in npos} == {"COMPLETE"}
    assert sorted(per_leader.values()) == [CAP] * LEADERS
    assert set(per_leader) == {leader.user_id for leader in leaders}
    assert len(waiting) == NPOS - LEADERS * CAP
    consumers = [i.container.consumers[OFFERING_FLOW_CONSUMER] for i in instances]
    busy = [c.stats.handled for c in consumers]
    assert sum(busy) == NPOS
    assert sum(1 for handled in busy if handled) >= 2, busy  # it did run in parallel
