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

    def set_if_newer(self, key: str, version: int, value: bytes) -> bool:
        """Store ``value`` at ``version`` unless the key holds that version or a
        newer one (atomically: two writers never let an older value win). The key
        then holds ``versioned(version, value)``, what ``get`` answers; answers
        whether it wrote."""
        ...


def versioned(version: int, value: bytes) -> bytes:
    """A version-guarded value as stored: the version in decimal, a newline, the
    value."""
    return b"%d\n" % version + value


def split_versioned(stored: bytes) -> tuple[int, bytes] | None:
    """The (version, value) of a version-guarded value; None if it is not one."""
    head, newline, value = stored.partition(b"\n")
    if not newline or not head.isdigit():
        return None
    return int(head), value


class AsyncCacheReads(Protocol):
    """The cache's reads from an event loop: what a request's hot path needs
    (the same keys and values as ``Cache``)."""

    async def get(self, key: str) -> bytes | None: ...

    async def aclose(self) -> None:
        """Close the connections of the running event loop (at its end)."""
        ...
