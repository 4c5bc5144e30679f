"""The cache port (Redis; in memory when embedded)."""

from __future__ import annotations

from typing import Protocol

from ports.health import Pingable


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
