"""Pages of a list: a bounded number of items and the cursor to the next page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from queries.cursors import decode_cursor

T = TypeVar("T")

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def page_size(limit: int | None) -> int:
    return max(1, min(limit or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE))


def after(cursor: str | None) -> list[str] | None:
    """The (created at, id) a page starts after; None for the first page."""
    return decode_cursor(cursor, 2) if cursor else None
