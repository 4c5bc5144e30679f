"""The blob store port (S3; a local directory when embedded)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ports.health import Pingable


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
