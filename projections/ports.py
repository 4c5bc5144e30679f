"""Ports: what the write and read sides need from the outside world.

Each port has an embedded implementation (``adapters/embedded``) used by ``make run``
and unit tests, and a real one (``adapters/postgres``, ``mongo``, ``redis``, ``kafka``,
``s3``). One contract suite per port (``tests/contract``) runs against both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

JSONDocument = dict[str, Any]


class BackendUnavailableError(Exception):
    """A backing service could not be reached."""


class Pingable(Protocol):
    """Something the readiness probe can check."""

    def ping(self) -> None:
        """Return when the backend answers; raise ``BackendUnavailableError`` if not."""


# --- Blob store (S3) -------------------------------------------------------------


class BlobNotFoundError(KeyError):
    """No blob under that key."""


@dataclass(frozen=True)
class BlobInfo:
    key: str
    size: int
    content_type: str


class BlobStore(Pingable, Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes:
        """Return the blob's bytes; raise ``BlobNotFoundError`` when absent."""
        ...

    def head(self, key: str) -> BlobInfo:
        """Return size and type; raise ``BlobNotFoundError`` when absent."""
        ...

    def list(self, prefix: str = "") -> list[str]:
        """Keys under ``prefix``, sorted."""
        ...

    def delete(self, key: str) -> None:
        """Delete the blob; deleting an absent key is not an error."""
        ...

    def presigned_get_url(self, key: str, expires_in_seconds: int) -> str: ...

    def presigned_put_url(
        self,
        key: str,
        content_type: str,
        expires_in_seconds: int,
        content_length: int | None = None,
    ) -> str:
        """A URL to PUT the blob; with ``content_length``, only exactly that many
        bytes are accepted (the length is part of what is signed)."""
        ...


# --- Document store (MongoDB) -----------------------------------------------------


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


# --- Cache (Redis) ---------------------------------------------------------------


class Cache(Pingable, Protocol):
    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes, ttl_seconds: float | None = None) -> None: ...

    def delete(self, *keys: str) -> int: ...

    def expire(self, key: str, ttl_seconds: float) -> bool:
        """Set a time to live on an existing key; False when the key is absent."""
        ...

    def ttl(self, key: str) -> float | None:
        """Seconds left, or None when the key is absent or has no expiry."""
        ...

    def keys(self, prefix: str) -> list[str]:
        """Keys beginning with ``prefix`` (for purges; not on hot paths)."""
        ...


# --- Message bus (Kafka) ---------------------------------------------------------


@dataclass(frozen=True)
class Message:
    topic: str
    key: str | None
    value: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    partition: int = 0
    offset: int = 0


class MessagePublisher(Pingable, Protocol):
    def publish(
        self,
        topic: str,
        key: str | None,
        value: bytes,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Send and wait until the broker has it durably (acks=all)."""
        ...

    def close(self) -> None: ...


class MessageConsumer(Protocol):
    def poll(self, timeout_seconds: float, max_messages: int = 500) -> list[Message]:
        """Messages after the group's committed position (or after the last poll)."""
        ...

    def commit(self) -> None:
        """Commit every message returned so far, after its effect is done."""
        ...

    def close(self) -> None: ...


class MessageBus(MessagePublisher, Protocol):
    def consumer(self, topics: Sequence[str], group_id: str) -> MessageConsumer: ...
