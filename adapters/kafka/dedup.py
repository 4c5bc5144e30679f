"""Inbound messages' deduplication: the ``processed_messages`` table.

A consumer claims (consumer name, source application, position, event type) in the
same relational transaction as its handler's command; a claim that already exists
means the message was handled before (a redelivery, a replay, a second consumer
group). The event type is part of the key because one domain event may fan out to
several integration events.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ports.relational import RelationalStore, SqlSession
from projections.engine import serialise_schema_changes
from projections.integration_events import IntegrationEvent

PROCESSED_MESSAGES_SCHEMA = """
    CREATE TABLE IF NOT EXISTS processed_messages (
        consumer TEXT NOT NULL,
        source TEXT NOT NULL,
        position BIGINT NOT NULL,
        event_type TEXT NOT NULL,
        topic TEXT NOT NULL,
        kafka_partition INTEGER NOT NULL,
        kafka_offset BIGINT NOT NULL,
        processed_at TEXT NOT NULL,
        PRIMARY KEY (consumer, source, position, event_type)
    )
"""


def ensure_processed_messages_schema(store: RelationalStore) -> None:
    with store.transaction() as session:
        serialise_schema_changes(session)
        session.execute(PROCESSED_MESSAGES_SCHEMA)


def prune_processed_messages(store: RelationalStore, older_than: datetime) -> int:
    """Forget deduplication records older than ``older_than``; returns how many.

    Safe once the broker can no longer redeliver them: choose a time before the
    topics' retention.
    """
    ensure_processed_messages_schema(store)
    with store.transaction() as session:
        rows = session.fetchall(
            "DELETE FROM processed_messages WHERE processed_at < %s RETURNING 1",
            (older_than.astimezone(UTC).isoformat(timespec="milliseconds"),),
        )
    return len(rows)


def claim(session: SqlSession, consumer: str, event: IntegrationEvent) -> bool:
    """Record that ``consumer`` handles ``event``; False if it already had."""
    row = session.fetchone(
        "INSERT INTO processed_messages (consumer, source, position, event_type, "
        "topic, kafka_partition, kafka_offset, processed_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (consumer, source, position, event_type) DO NOTHING "
        "RETURNING position",
        (
            consumer,
            event.source,
            event.position,
            event.event_type,
            event.message.topic,
            event.message.partition,
            event.message.offset,
            datetime.now(UTC).isoformat(timespec="milliseconds"),
        ),
    )
    return row is not None
