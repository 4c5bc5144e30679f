"""Latency of an authenticated ``GET /me``: user cache hit, miss, and Redis down.

    python -m bench.identity_me --requests 500

Runs the composed app in process (Starlette's test client: no socket, so the figures
are the service's own time) against real PostgreSQL and Redis, in a fresh schema
dropped at the end. Each request verifies the ES256 access token and reads the user:

- *hit*: the user's document is in Redis (what the projection keeps there);
- *miss*: the key is gone, so the relational view in PostgreSQL answers;
- *redis down*: the cache points at a closed port; after the first failure the
  circuit breaker sends reads straight to PostgreSQL.

Prints a table, then one JSON line of the figures (milliseconds).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID, uuid4

import psycopg
from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table

from adapters.bootstrap import build_container
from adapters.http.app import create_app
from adapters.redis.cache import RedisCache
from adapters.settings import Settings
from projections.contracts import ViewNames
from projections.identity.user_cache import USER_CACHE_PROJECTION, USER_KEY
from projections.identity.users_view import USERS_PROJECTION
from queries.identity.users import UserDirectory

POSTGRES_URL = "postgresql://spotlight:spotlight@127.0.0.1:55432/spotlight"
REDIS_URL = "redis://127.0.0.1:56379/0"


@contextmanager
def fresh_schema(url: str) -> Iterator[str]:
    schema = f"bench_me_{uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema
    finally:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


def sign_in(client: TestClient) -> tuple[str, dict[str, str], str]:
    nonce = uuid4().hex
    email = f"bench-{uuid4().hex[:8]}@example.org"
    id_token = client.post(
        "/dev-issuer/token",
        json={"email": email, "nonce": nonce, "given_name": "Bench"},
    ).json()["id_token"]
    body = client.post(
        "/auth/sign-in", json={"id_token": id_token, "nonce": nonce}
    ).json()
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    return body["user_id"], headers, body["consistency_token"]


def timed(client: TestClient, headers: dict[str, str], requests: int) -> list[float]:
    for _ in range(min(20, requests)):  # warm up
        client.get("/me", headers=headers)
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get("/me", headers=headers)
        samples.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"GET /me answered {response.status_code}")
    return samples


def lookups(directory: UserDirectory, user_id: str, requests: int) -> list[float]:
    """The user lookup alone, without HTTP or token verification."""
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        directory.get(UUID(user_id))
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]

    return {
        "p50_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(pct(0.95), 3),
        "p99_ms": round(pct(0.99), 3),
        "mean_ms": round(statistics.fmean(ordered), 3),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--redis-url", default=REDIS_URL)
    args = parser.parse_args(argv)

    figures: dict[str, dict[str, float]] = {}
    with fresh_schema(args.postgres_url) as schema:
        settings = Settings(
            postgres_url=args.postgres_url,
            postgres_schema=schema,
            redis_url=args.redis_url,
        )
        with TestClient(create_app(settings)) as client:
            container = client.app.state.container  # type: ignore[attr-defined]
            user_id, headers, token = sign_in(client)
            source, position = token.split(":")
            container.engine.wait_for(
                source, int(position), [USERS_PROJECTION, USER_CACHE_PROJECTION], 30
            )
            directory = container.identity.directory
            before = directory.cache_hits
            figures["hit"] = summary(timed(client, headers, args.requests))
            figures["lookup_hit"] = summary(lookups(directory, user_id, args.requests))
            assert directory.cache_hits > before, "expected cache hits"

            key = ViewNames(USER_CACHE_PROJECTION, 1).key_prefix(USER_KEY) + user_id
            container.cache.delete(key)
            before = directory.cache_misses
            figures["miss"] = summary(timed(client, headers, args.requests))
            figures["lookup_miss"] = summary(lookups(directory, user_id, args.requests))
            assert directory.cache_misses > before, "expected cache misses"

        dead = RedisCache("redis://127.0.0.1:1/0", timeout_seconds=0.2)
        container = build_container(settings, cache=dead)
        with TestClient(create_app(container=container)) as client:
            figures["redis_down"] = summary(timed(client, headers, args.requests))
        container.close()

    table = Table(
        "GET /me (lookup: the user read alone)", "p50 ms", "p95 ms", "p99 ms", "mean ms"
    )
    for name, row in figures.items():
        table.add_row(
            name,
            *(f"{row[k]:.2f}" for k in ("p50_ms", "p95_ms", "p99_ms", "mean_ms")),
        )
    Console().print(table)
    print(
        json.dumps({"benchmark": "identity_me", "requests": args.requests, **figures})
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
