"""The fault suite's own parts find what they are there to find.

A check that cannot fail proves nothing: the private ports refuse to collide, a
projection's storage is named per version, a rebuild leaves out what would act
twice, the comparison finds a view that differs from its rebuild (and tolerates a
cache entry that is merely missing), and an acknowledged write that is not there is
reported.
"""

from __future__ import annotations

import random
import time
from dataclasses import replace

import pytest
from pymongo import MongoClient

from adapters.bootstrap import build_container
from adapters.postgres.views import PostgresRelationalStore
from adapters.redis.cache import RedisCache
from adapters.settings import Settings
from projections.identity.user_cache import UserCacheView
from projections.identity.users_view import UsersView
from projections.onboarding.offerings import OfferingDocuments
from tests.faults.load import (
    Call,
    Recorder,
    Write,
    create_npo,
    create_offering,
    edit_profile,
    sign_in,
)
from tests.faults.scenario import FaultWorld, lost_writes
from tests.faults.servers import ServicesError, private_ports
from tests.faults.views import Comparison, ViewsRebuild, rebuilt, storage_of


def test_private_ports_sit_beside_the_shared_ones() -> None:
    # Check the defaults, and the ports CI uses, give distinct free neighbours.
    assert private_ports({}) == {
        "SPOTLIGHT_POSTGRES_PORT": 56432,
        "SPOTLIGHT_REDIS_PORT": 57379,
        "SPOTLIGHT_S3_PORT": 56000,
        "SPOTLIGHT_KAFKA_PORT": 60092,
        "SPOTLIGHT_KAFKA_CONTROLLER_PORT": 60093,
        "SPOTLIGHT_FERRETDB_PORT": 58017,
    }
    ci = {
        "SPOTLIGHT_POSTGRES_PORT": "45432",
        "SPOTLIGHT_REDIS_PORT": "46379",
        "SPOTLIGHT_KAFKA_PORT": "49092",
        "SPOTLIGHT_KAFKA_CONTROLLER_PORT": "49093",
        "SPOTLIGHT_FERRETDB_PORT": "47017",
        "SPOTLIGHT_S3_PORT": "45000",
    }
    ports = private_ports(ci)
    assert set(ports.values()).isdisjoint(int(p) for p in ci.values())
    assert len(set(ports.values())) == len(ports)

    # Check an offset that lands Kafka on the controller's port is refused.
    with pytest.raises(ServicesError, match="SPOTLIGHT_KAFKA_PORT=59093"):
        private_ports({"SPOTLIGHT_FAULTS_PORT_OFFSET": "1"})


def test_a_projection_names_its_storage_per_version() -> None:
    assert storage_of(UsersView, 2).tables == ("users_v2",)
    cache = storage_of(UserCacheView, 3)
    assert (cache.tables, cache.key_prefixes) == (
        ("user_cache_documents_v3",),
        ("user:v3:",),
    )
    assert storage_of(OfferingDocuments, 1).collections == ("offerings_v1",)


def test_a_rebuild_leaves_out_publishers_and_process_managers() -> None:
    container = build_container(Settings(event_store="popo"))
    try:
        kinds = container.engine.projection_types
        kept = sorted(name for name, p in kinds.items() if rebuilt(p))
    finally:
        container.close()
    assert kept == [
        "careers_candidates",
        "careers_enrolments",
        "careers_mentors",
        "careers_recommendations",
        "careers_roadmap_cache",
        "careers_roadmap_timers",
        "careers_roadmaps",
        "meetings",
        "notifications",
        "onboarding_npos",
        "onboarding_offering_search",
        "onboarding_offerings",
        "user_cache",
        "users",
    ]
    assert set(kinds) - set(kept) == {
        "careers_process",
        "identity_integration_events",
        "onboarding_integration_events",
        "scheduling_integration_events",
        "scheduling_process",
    }


def _equal_soon(rebuild: ViewsRebuild) -> Comparison:
    deadline = time.monotonic() + 30
    while True:
        comparison = rebuild.compare()
        if comparison.equal or time.monotonic() > deadline:
            return comparison
        time.sleep(0.2)


@pytest.mark.real_services
def test_the_checks_find_views_and_writes_that_are_wrong(world: FaultWorld) -> None:
    deployment = world.deployment
    settings = deployment.settings()
    recorder = Recorder()
    user = sign_in(deployment.base_url, recorder, "harness")
    try:
        assert create_npo(user).acknowledged
        assert create_offering(user, user.npos[0]).acknowledged
        profile = edit_profile(user, random.Random(1))
        assert profile.acknowledged

        # Check the writes are found, and a write that never happened is not.
        assert lost_writes(settings, recorder.calls, [user]) == ([], [])
        assert profile.write is not None
        never: Call = replace(
            profile, write=replace(profile.write, value="+14150000000")
        )
        lost, unseen = lost_writes(settings, [*recorder.calls, never], [user])
        assert len(lost) == 1
        assert "+14150000000 not in the log" in lost[0]
        assert len(unseen) == 1
        assert "GET /me shows phone" in unseen[0]
        ghost = Call(
            user.client.name,
            "POST",
            "/npos",
            201,
            0.0,
            0.0,
            write=Write("npo", "00000000-0000-4000-8000-000000000000", "Ghost"),
        )
        lost, unseen = lost_writes(settings, [ghost], [user])
        assert ["npo 00000000" in line for line in lost] == [True]
        assert ["404" in line for line in unseen] == [True]

        rebuild = ViewsRebuild(settings, world.rebuild_redis_url)
        try:
            # Check the live views equal their rebuild, a missing cache entry too.
            assert _equal_soon(rebuild).equal
            assert settings.redis_url is not None
            live_cache = RedisCache(settings.redis_url)
            key = f"user:v1:{user.user_id}"
            assert live_cache.get(key) is not None
            live_cache.delete(key)
            comparison = rebuild.compare()
            assert comparison.equal, comparison
            assert comparison.cache_entries_missing == 1

            # Check a changed row, document and cache entry are each found.
            assert settings.postgres_url is not None
            live = PostgresRelationalStore(settings.postgres_url)
            with live.transaction() as session:
                session.execute(
                    "UPDATE users_v1 SET phone = '+14150000001' WHERE id = %s",
                    (user.user_id,),
                )
            live.close()
            live_cache.set(key, b"{}")
            live_cache.close()
            mongo: MongoClient[dict[str, object]] = MongoClient(settings.mongo_url)
            with mongo:
                mongo[settings.mongo_database]["offerings_v1"].update_one(
                    {"_id": user.offerings[0]}, {"$set": {"title": "Changed"}}
                )
            found = rebuild.compare()
        finally:
            rebuild.close()
    finally:
        user.client.close()
    assert not found.pending, found
    named = sorted(line.split(":", 1)[0] for line in found.differences)
    assert named == ["onboarding_offerings", "user_cache", "users"], found
