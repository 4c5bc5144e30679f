"""Cache on Redis."""

from __future__ import annotations

import redis
import redis.exceptions

from ports.errors import BackendUnavailableError


class RedisCache:
    def __init__(self, url: str, timeout_seconds: float = 1.0) -> None:
        self._redis = redis.Redis.from_url(
            url,
            socket_timeout=timeout_seconds,
            socket_connect_timeout=timeout_seconds,
        )

    @property
    def client(self) -> redis.Redis:
        return self._redis

    def close(self) -> None:
        self._redis.close()

    def ping(self) -> None:
        try:
            self._redis.ping()
        except redis.exceptions.RedisError as error:
            raise BackendUnavailableError(f"redis: {error}") from error

    def get(self, key: str) -> bytes | None:
        value = self._redis.get(key)
        return value if isinstance(value, bytes) else None

    def set(self, key: str, value: bytes, ttl_seconds: float | None = None) -> None:
        if ttl_seconds is None:
            self._redis.set(key, value)
        else:
            self._redis.set(key, value, px=max(1, int(ttl_seconds * 1000)))

    def delete(self, *keys: str) -> int:
        return int(self._redis.delete(*keys)) if keys else 0

    def expire(self, key: str, ttl_seconds: float) -> bool:
        return bool(self._redis.pexpire(key, max(1, int(ttl_seconds * 1000))))

    def ttl(self, key: str) -> float | None:
        millis = int(self._redis.pttl(key))
        return millis / 1000 if millis >= 0 else None

    def keys(self, prefix: str) -> list[str]:
        escaped = prefix.replace("*", r"\*").replace("?", r"\?").replace("[", r"\[")
        found = self._redis.scan_iter(match=escaped + "*", count=500)
        return sorted(k.decode() if isinstance(k, bytes) else str(k) for k in found)
