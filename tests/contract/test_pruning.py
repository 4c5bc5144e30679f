"""Bookkeeping tables shrink: expired refresh tokens, old deduplication records."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from typer.testing import CliRunner

from adapters.cli.main import cli
from adapters.embedded.views import SqliteRelationalStore
from adapters.identity.refresh_tokens import SqlRefreshTokens
from adapters.kafka.dedup import (
    ensure_processed_messages_schema,
    prune_processed_messages,
)
from adapters.postgres.views import PostgresRelationalStore
from ports.relational import RelationalStore


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class PruningContract(ABC):
    @abstractmethod
    @pytest.fixture
    def store(self) -> RelationalStore: ...

    def test_only_expired_refresh_tokens_are_deleted(
        self, store: RelationalStore
    ) -> None:
        clock = Clock(1_000.0)
        tokens = SqlRefreshTokens(store, ttl_seconds=10, clock=clock)
        old_user, new_user = uuid4(), uuid4()
        tokens.issue(old_user)
        tokens.issue(old_user)
        clock.now = 2_000.0
        fresh = tokens.issue(new_user)

        clock.now = 2_005.0
        assert tokens.prune_expired() == 2

        assert tokens.live_count(new_user) == 1
        assert tokens.user_of(fresh.token) == new_user
        assert tokens.prune_expired() == 0

    def test_only_old_processed_messages_are_forgotten(
        self, store: RelationalStore
    ) -> None:
        ensure_processed_messages_schema(store)
        now = datetime.now(UTC)
        with store.transaction() as session:
            for position, age_days in [(1, 30), (2, 8), (3, 1)]:
                session.execute(
                    "INSERT INTO processed_messages (consumer, source, position, "
                    "event_type, topic, kafka_partition, kafka_offset, processed_at) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    (
                        "c",
                        "onboarding",
                        position,
                        "t",
                        "topic",
                        0,
                        position,
                        (now - timedelta(days=age_days)).isoformat(
                            timespec="milliseconds"
                        ),
                    ),
                )

        assert prune_processed_messages(store, now - timedelta(days=7)) == 2

        with store.transaction() as session:
            left = session.fetchall("SELECT position FROM processed_messages")
        assert left == [(3,)]


class TestSqlitePruning(PruningContract):
    @pytest.fixture
    def store(self) -> Iterator[RelationalStore]:
        store = SqliteRelationalStore(None)
        yield store
        store.close()


class TestPostgresPruning(PruningContract):
    @pytest.fixture
    def store(
        self, postgres_url: str, postgres_schema: str
    ) -> Iterator[RelationalStore]:
        store = PostgresRelationalStore(postgres_url, schema=postgres_schema)
        yield store
        store.close()


def test_the_prune_command_reports_what_it_deleted(tmp_path: Path) -> None:
    env = {"SPOTLIGHT_DATA_DIR": str(tmp_path), "SPOTLIGHT_EVENT_STORE": "sqlite"}
    result = CliRunner().invoke(cli, ["maintenance", "prune"], env=env)
    assert result.exit_code == 0, result.output
    assert "expired refresh tokens deleted: 0" in result.output
    assert "expired records of exchanged ID tokens deleted: 0" in result.output
    assert "processed-message records deleted: 0" in result.output
