"""What the scheduling views share: how instants are stored, which tables are live.

Instants are stored as ISO 8601 UTC text, comparable as strings on every dialect.
Readers look up the live version of a view's tables without writing anything.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def iso(value: Any) -> str | None:
    """Instants are stored as ISO 8601 UTC text: comparable as strings everywhere."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.astimezone(UTC).isoformat(timespec="seconds")


def instant(text: Any) -> datetime | None:
    """An instant stored by ``iso``, read back."""
    return datetime.fromisoformat(str(text)) if text is not None else None
