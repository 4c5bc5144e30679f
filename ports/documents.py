"""The document store port (MongoDB; in memory when embedded)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from ports.health import Pingable

JSONDocument = dict[str, Any]


class DuplicateKeyError(Exception):
    """A unique index refused the write."""


SortSpec = Sequence[tuple[str, int]]


class DocumentStore(Pingable, Protocol):
    """Collections of JSON documents keyed by ``_id``.

    ``upsert_if_newer`` is the version guard that gives views exactly-once effect on a
    store without transactions: a document remembers the last event version applied
    (``_version``) and an older or equal version is ignored.
    """

    def insert(self, collection: str, document: JSONDocument) -> None:
        """Insert a new document; raise ``DuplicateKeyError`` on a unique clash."""
        ...

    def upsert(self, collection: str, document_id: str, document: JSONDocument) -> None:
        """Replace or create the document with ``_id == document_id``."""
        ...

    def upsert_if_newer(
        self, collection: str, document_id: str, version: int, document: JSONDocument
    ) -> bool:
        """Write only if ``version`` is newer than the stored ``_version``.

        Returns True when the write took effect.
        """
        ...

    def get(self, collection: str, document_id: str) -> JSONDocument | None: ...

    def find(
        self,
        collection: str,
        filter: Mapping[str, Any] | None = None,
        *,
        sort: SortSpec = (),
        limit: int = 0,
    ) -> list[JSONDocument]:
        """Documents whose fields equal the filter's values (``$in`` lists allowed)."""
        ...

    def delete(self, collection: str, document_id: str) -> bool: ...

    def ensure_unique_index(self, collection: str, field_name: str) -> None: ...

    def drop(self, collection: str) -> None: ...
