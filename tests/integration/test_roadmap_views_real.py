"""The roadmap's views on real PostgreSQL and Redis, on the composed app: a mark
read back at once from the cache, the cache's version guard, Redis cut away (the
PostgreSQL view answers, fresh) and back (the cache catches up), a rebuild equal to
the live view, and the candidate's erasure leaving no row and no key."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from adapters.bootstrap import Container, build_container
from adapters.http.app import create_app
from adapters.settings import Settings
from commands.base import Actor
from commands.careers.messages import EraseCandidate
from ports.cache import split_versioned
from projections.careers.roadmap_document import RoadmapDocument
from projections.careers.roadmaps import (
    ROADMAP_CACHE_PROJECTION,
    ROADMAPS_PROJECTION,
    RoadmapsReader,
)
from tests.e2e.test_roadmap_reads_http import Story
from tests.support.mentoring_http import MentoringClient
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.real_services


@pytest.fixture
def proxy(redis_url: str) -> Iterator[TcpProxy]:
    with TcpProxy.to(redis_url) as running:
        yield running


@pytest.fixture
def world(
    postgres_url: str, postgres_schema: str, redis_url: str, proxy: TcpProxy
) -> Iterator[MentoringClient]:
    container = build_container(
        Settings(
            postgres_url=postgres_url,
            postgres_schema=postgres_schema,
            redis_url=proxy.url(redis_url),
        )
    )
    with TestClient(create_app(container=container)) as client:
        yield MentoringClient.start(
            client, container, f"admin-{postgres_schema}@example.org"
        )
    container.close()


def cached(container: Container, candidate_id: str) -> RoadmapDocument | None:
    stored = container.cache.get(f"roadmap:v1:{candidate_id}")
    found = split_versioned(stored) if stored is not None else None
    return RoadmapDocument.from_json(found[1]) if found else None


def caught_up(container: Container, token: str, *projections: str) -> None:
    source, _, position = token.partition(":")
    engine = container.engine
    assert engine.wait_for(source, int(position), list(projections), 30) == 0


def test_the_roadmap_on_postgres_and_redis(
    world: MentoringClient, proxy: TcpProxy
) -> None:
    container, reads = world.container, world.container.roadmap_reads
    story = Story(world)
    cv = story.request("Write a CV", ("Draft", "Review", "Send", "Print"))
    story.approve(cv)
    after = story.mark(cv, "m1")

    # Check the mark is read back at once (from the roadmap's record while the
    # views catch up), and then from the cache, equal to the view.
    own = story.own(after)
    assert own["percent"] == 25.0
    caught_up(container, after, ROADMAP_CACHE_PROJECTION, ROADMAPS_PROJECTION)
    in_redis = cached(container, story.candidate.user_id)
    in_postgres = RoadmapsReader(container.views).document(story.candidate.user_id)
    assert in_redis is not None
    assert in_redis == in_postgres
    assert in_redis.percent == Decimal("25.0")
    hits = reads.cache_hits
    assert story.own(after) == own
    assert reads.cache_hits == hits + 1

    # Check an older write never replaces the cached value.
    key = f"roadmap:v1:{story.candidate.user_id}"
    stale = replace(in_redis, percent=Decimal("0.0"), items=())
    older = in_redis.position - 1
    assert container.cache.set_if_newer(key, older, stale.to_json().encode()) is False
    assert cached(container, story.candidate.user_id) == in_redis

    # Check with Redis cut away, a new mark is read back from PostgreSQL (once the
    # view has it: before, it is answered from the roadmap's record).
    proxy.cut()
    after = story.mark(cv, "m2")
    caught_up(container, after, ROADMAPS_PROJECTION)
    errors = reads.cache_errors
    assert story.own(after)["percent"] == 50.0
    assert reads.cache_errors == errors + 1

    # Check once Redis is back, the cache catches up and answers again.
    proxy.restore()
    time.sleep(container.breakers.retry_after("redis"))
    caught_up(container, after, ROADMAP_CACHE_PROJECTION)
    back = cached(container, story.candidate.user_id)
    assert back is not None
    assert back.percent == Decimal("50.0")
    hits = reads.cache_hits
    assert story.own(after)["percent"] == 50.0
    assert reads.cache_hits == hits + 1

    # Check a rebuild of the view equals the live one.
    live = RoadmapsReader(container.views).document(story.candidate.user_id)
    assert container.engine.rebuild(ROADMAPS_PROJECTION) == 2
    rebuilt = RoadmapsReader(container.views).document(story.candidate.user_id)
    assert rebuilt == live

    # Check the candidate's erasure leaves no row and no key.
    container.dispatcher.dispatch(
        EraseCandidate(actor=Actor.system("t"), candidate_id=story.candidate.user_id)
    )
    head = f"careers:{container.engine.head('careers')}"
    caught_up(container, head, ROADMAP_CACHE_PROJECTION, ROADMAPS_PROJECTION)
    assert RoadmapsReader(container.views).document(story.candidate.user_id) is None
    assert cached(container, story.candidate.user_id) is None
    with container.views.transaction() as session:
        rows = session.fetchall(
            "SELECT item_id FROM car_roadmap_items_v2 WHERE candidate_id = %s",
            (story.candidate.user_id,),
        )
    assert rows == []
