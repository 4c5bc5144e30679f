"""What the onboarding context's relational views share.

The tables are kept by one projection, ``onboarding_npos`` (``relational.py``), so a
batch changes all of them together with its tracked position in one transaction
(exactly once). They come in groups, one module each, that own their tables: the
DDL, how events change them, and a typed reader (``npos``, ``communities``,
``platform``). A ``Table`` lists its columns once, for its DDL and its readers.

Readers find the live version of the projection's tables with the engine's
``live_names``: a lookup, never a write (the engine creates a projection's state
when it sets it up).
"""

# Table names come from ViewNames (code), never from input; values are parameters.

from __future__ import annotations

import json
from abc import ABC
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from ports.relational import Row, SqlSession
from projections.contracts import ProjectedEvent, ViewNames

NPOS_PROJECTION = "onboarding_npos"


@dataclass(frozen=True)
class Table:
    """A table's base name (``ViewNames`` adds the version) and its columns."""

    base: str
    columns: tuple[tuple[str, str], ...]  # (name, SQL type and constraints)
    constraints: tuple[str, ...] = ()  # e.g. "PRIMARY KEY (a, b)"
    indexes: tuple[tuple[str, str], ...] = ()  # (suffix, column list)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    def create(self, session: SqlSession, view: ViewNames) -> None:
        table = view.table(self.base)
        parts = [f"{name} {kind}" for name, kind in self.columns]
        parts.extend(self.constraints)
        session.execute(f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(parts)})")
        for suffix, columns in self.indexes:
            session.execute(
                f"CREATE INDEX IF NOT EXISTS {table}_{suffix} ON {table} ({columns})"
            )

    def select(self, view: ViewNames, *, qualified: bool = False) -> str:
        """The column list, in order; ``qualified`` by the table (for joins)."""
        qualifier = f"{view.table(self.base)}." if qualified else ""
        return ", ".join(f"{qualifier}{name}" for name in self.names)

    def record(self, row: Row) -> dict[str, Any]:
        """A row selected with ``select``, by column name."""
        return dict(zip(self.names, row, strict=True))


class TableGroup(ABC):
    """Some of the projection's tables: their DDL and how events change them.

    ``handlers`` maps an event's ``Aggregate.Event`` name to the method applying it.
    """

    tables: ClassVar[tuple[Table, ...]]
    handlers: ClassVar[Mapping[str, Callable[[Any, SqlSession, ProjectedEvent], None]]]

    def __init__(self, names: ViewNames) -> None:
        self.names = names

    def t(self, base: str) -> str:
        return self.names.table(base)

    def setup(self, session: SqlSession) -> None:
        for table in self.tables:
            table.create(session, self.names)
        self.seed(session)

    def seed(self, session: SqlSession) -> None:
        """Rows the tables start with (none unless a group says so)."""
        return

    def drop(self, session: SqlSession) -> None:
        for table in self.tables:
            session.execute(f"DROP TABLE IF EXISTS {self.t(table.base)}")


def when(item: ProjectedEvent) -> str:
    """The event's time, as ISO text (microseconds)."""
    timestamp = getattr(item.event, "timestamp", None)
    if isinstance(timestamp, datetime):
        return timestamp.isoformat(timespec="microseconds")
    return ""


def field(item: ProjectedEvent, name: str) -> Any:
    """A field of the event (decoded on first use)."""
    return getattr(item.event, name)


def to_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))
