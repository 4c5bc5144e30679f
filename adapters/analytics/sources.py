"""Where the export reads from: each application's log, and who the users are.

On PostgreSQL the log is read with one connection of the export's own (binary
rows, keyset pages over the notification id), without building eventsourcing's
``Notification`` objects; elsewhere (SQLite, in memory) through the recorder's
``select_notifications``. Both give ``StoredRecord`` tuples in position order.

The users are the identity ``User`` aggregates: the originators of the identity
log's first events whose class is a ``User`` event (one query on PostgreSQL; a
scan of the identity log otherwise).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from eventsourcing.utils import TopicError, resolve_topic

from projections.analytics.rows import StoredRecord, aggregate_name_of

USER_AGGREGATE = "User"
IDENTITY_APPLICATION = "identity"


class LogSource(Protocol):
    """One application's event log, read in position order."""

    name: str

    def head(self) -> int:
        """The last position in the log (0 when empty)."""
        ...

    def read(
        self, after: int, limit: int, stop: int | None = None
    ) -> list[StoredRecord]:
        """Up to ``limit`` events after ``after`` (and at most ``stop``)."""
        ...

    def close(self) -> None: ...


class RecorderSource:
    """A log read through the application's recorder (any persistence module)."""

    def __init__(self, name: str, recorder: Any) -> None:
        self.name = name
        self._recorder = recorder

    def head(self) -> int:
        return int(self._recorder.max_notification_id() or 0)

    def read(
        self, after: int, limit: int, stop: int | None = None
    ) -> list[StoredRecord]:
        notifications = self._recorder.select_notifications(after + 1, limit, stop=stop)
        return [
            (n.id, n.originator_id, n.originator_version, n.topic, n.state)
            for n in notifications
        ]

    def user_ids(self) -> list[str]:
        """Every user id in this (identity) log, by scanning it."""
        found: list[str] = []
        after = 0
        while True:
            page = self.read(after, 10_000)
            if not page:
                return found
            found.extend(
                str(originator)
                for _, originator, version, topic, _ in page
                if version == 1 and is_user_topic(topic)
            )
            after = page[-1][0]

    def close(self) -> None:
        pass


class PostgresSource:
    """A log read straight from its PostgreSQL table, on a connection of its own."""

    def __init__(self, name: str, url: str, schema: str, table: str) -> None:
        import psycopg
        from psycopg import sql

        self.name = name
        self._connection = psycopg.connect(url, autocommit=True)
        self._table = sql.Identifier(schema, table)
        self._page = sql.SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {} WHERE notification_id > %s AND notification_id <= %s "
            "ORDER BY notification_id LIMIT %s"
        ).format(self._table)

    def head(self) -> int:
        from psycopg import sql

        row = self._connection.execute(
            sql.SQL("SELECT max(notification_id) FROM {}").format(self._table)
        ).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def read(
        self, after: int, limit: int, stop: int | None = None
    ) -> list[StoredRecord]:
        with self._connection.cursor(binary=True) as cursor:
            cursor.execute(self._page, (after, stop or 2**62, limit))
            rows: list[StoredRecord] = cursor.fetchall()
        return rows

    def user_ids(self) -> list[str]:
        from psycopg import sql

        rows = self._connection.execute(
            sql.SQL(
                "SELECT originator_id::text, topic FROM {} WHERE originator_version = 1"
            ).format(self._table)
        ).fetchall()
        topics: dict[str, bool] = {}
        found = []
        for originator, topic in rows:
            if topic not in topics:
                topics[topic] = is_user_topic(topic)
            if topics[topic]:
                found.append(originator)
        return found

    def lock(self, key: int) -> AbstractContextManager[None]:
        """Hold a session-level advisory lock (waiting for it) for the block."""
        return _AdvisoryLock(self._connection, key)

    def close(self) -> None:
        self._connection.close()


class _AdvisoryLock:
    def __init__(self, connection: Any, key: int) -> None:
        self._connection = connection
        self._key = key

    def __enter__(self) -> None:
        self._connection.execute("SELECT pg_advisory_lock(%s)", (self._key,))

    def __exit__(self, *exc: object) -> None:
        self._connection.execute("SELECT pg_advisory_unlock(%s)", (self._key,))


def is_user_topic(topic: str) -> bool:
    try:
        return aggregate_name_of(resolve_topic(topic)) == USER_AGGREGATE
    except (TopicError, ImportError, AttributeError, ValueError, TypeError):
        return False


@dataclass
class ExportSources:
    """What an export reads: the logs, the users' data keys, where to lock."""

    logs: Sequence[LogSource]
    # Every user id and their personal-data key (None: none, or erased).
    data_keys: Callable[[], dict[str, bytes | None]]
    # A lock serialising exports to one target (PostgreSQL advisory lock or file).
    lock: Callable[[str], AbstractContextManager[None]]

    def close(self) -> None:
        for log in self.logs:
            log.close()


def pages(
    source: LogSource, after: int, limit: int, stop: int | None = None
) -> Iterator[list[StoredRecord]]:
    """Consecutive pages of ``source`` after ``after`` (up to ``stop``)."""
    while True:
        page = source.read(after, limit, stop)
        if not page:
            return
        yield page
        after = page[-1][0]
        if stop is not None and after >= stop:
            return
