"""Any event the domain accepts can be projected, on the real servers: commands of
every context carrying hostile text go through the dispatcher, and every projection
of the composed app applies what the domain recorded to the PostgreSQL tables, the
FerretDB documents and the Redis keys. See ``tests.support.accepted_text``.

A NUL in a name once passed the domain and stopped the users view here: PostgreSQL
text cannot hold it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from adapters.bootstrap import build_container
from adapters.embedded.bus import InMemoryMessageBus
from adapters.settings import Settings
from projections.onboarding.offerings import OFFERINGS_COLLECTION
from tests.support.accepted_text import STORIES, TextWorld, tell_stories
from tests.support.stores import PrefixedCache

pytestmark = pytest.mark.real_services

EXAMPLES = 30


@pytest.mark.parametrize("context", sorted(STORIES))
def test_any_text_the_domain_accepts_is_projected(
    *,
    context: str,
    tmp_path: Path,
    postgres_url: str,
    postgres_schema: str,
    mongo_url: str,
    redis_url: str,
) -> None:
    run_id = uuid.uuid4().hex[:10]
    cache = PrefixedCache(redis_url, f"text-{run_id}:")
    container = build_container(
        Settings(
            data_dir=tmp_path,
            postgres_url=postgres_url,
            postgres_schema=postgres_schema,
            mongo_url=mongo_url,
            mongo_database=f"it_text_{run_id}",
            redis_url=redis_url,
        ),
        cache=cache,
        bus=InMemoryMessageBus(),
    )
    world = TextWorld(container)

    try:
        tell_stories(world, context, EXAMPLES)
    finally:
        container.documents.drop(f"{OFFERINGS_COLLECTION}_v1")
        keys = cache.keys("")
        if keys:
            cache.delete(*keys)
        container.close()
