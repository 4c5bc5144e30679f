"""Real stores shared by tests that run at the same time."""

from __future__ import annotations

from adapters.redis.cache import RedisCache


class PrefixedCache(RedisCache):
    """Keeps each run's keys apart on the shared Redis."""

    def __init__(self, url: str, prefix: str) -> None:
        super().__init__(url)
        self.prefix = prefix

    def get(self, key: str) -> bytes | None:
        return super().get(self.prefix + key)

    def set(self, key: str, value: bytes, ttl_seconds: float | None = None) -> None:
        super().set(self.prefix + key, value, ttl_seconds)

    def delete(self, *keys: str) -> int:
        return super().delete(*(self.prefix + k for k in keys))

    def keys(self, prefix: str) -> list[str]:
        return [k[len(self.prefix) :] for k in super().keys(self.prefix + prefix)]

    def expire(self, key: str, ttl_seconds: float) -> bool:
        return super().expire(self.prefix + key, ttl_seconds)

    def ttl(self, key: str) -> float | None:
        return super().ttl(self.prefix + key)

    def set_if_newer(self, key: str, version: int, value: bytes) -> bool:
        return super().set_if_newer(self.prefix + key, version, value)
