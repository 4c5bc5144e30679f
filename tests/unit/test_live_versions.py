"""Which version of an identity view is live: remembered, and looked up by one
caller at a time when due."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.embedded.views import SqliteRelationalStore
from projections.identity.versions import LiveVersions


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store() -> Iterator[SqliteRelationalStore]:
    views = SqliteRelationalStore(None)
    yield views
    views.close()


def test_one_caller_at_a_time_looks_when_the_version_is_due(
    store: SqliteRelationalStore,
) -> None:
    clock = Clock()
    versions = LiveVersions(store, ttl_seconds=5, clock=clock)
    # Check nothing is known before a first look (no engine yet: version 1).
    assert versions.known("user_cache") is None
    assert versions.of("user_cache") == 1
    assert versions.known("user_cache") == 1

    clock.now += 5
    # Check the first caller is sent to look; the others meanwhile keep version 1.
    assert versions.known("user_cache") is None
    assert versions.known("user_cache") == 1
    assert versions.known("user_cache") == 1
    versions.of("user_cache")
    clock.now += 4
    assert versions.known("user_cache") == 1

    # Check a look that never came back (its caller gave up) sends another caller
    # once the TTL has passed.
    clock.now += 1
    assert versions.known("user_cache") is None
    clock.now += 4
    assert versions.known("user_cache") == 1
    clock.now += 1
    assert versions.known("user_cache") is None
