"""Identity on the composed app against real PostgreSQL, Redis and Kafka.

The erasure test is the issue's acceptance test: after a user is erased, their name,
email and phone, and what their career record held (profile, needs assessment), are
found nowhere — not in the bytes of any PostgreSQL table (events and every view
included), not in Redis, not on the Kafka topic, not in the logs of the test.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
import redis
from fastapi.testclient import TestClient

from adapters.bootstrap import Container, build_container
from adapters.http.app import create_app
from adapters.redis.cache import RedisCache
from adapters.settings import Settings
from commands.base import Actor
from commands.careers.process_manager import PROCESS_MANAGER as CAREERS_PROCESS
from commands.identity.application import IdentityApplication
from commands.identity.messages import BootstrapAdmin, SignIn
from projections.careers.candidates import CANDIDATES_PROJECTION
from projections.careers.roadmaps import ROADMAP_CACHE_PROJECTION, ROADMAPS_PROJECTION
from projections.identity.integration_events import (
    IDENTITY_INTEGRATION_PROJECTION,
    USERS_TOPIC,
)
from projections.identity.user_cache import USER_CACHE_PROJECTION
from projections.identity.users_view import USERS_PROJECTION
from tests.support.consistency import far_beyond, spy_on_waits
from tests.support.identity import SignedIn, dev_id_token, exchange_at_once, sign_in

pytestmark = pytest.mark.real_services

ALL_IDENTITY_PROJECTIONS = (
    USERS_PROJECTION,
    USER_CACHE_PROJECTION,
    IDENTITY_INTEGRATION_PROJECTION,
)


@pytest.fixture
def settings(
    postgres_url: str, postgres_schema: str, redis_url: str, kafka_bootstrap: str
) -> Settings:
    return Settings(
        postgres_url=postgres_url,
        postgres_schema=postgres_schema,
        redis_url=redis_url,
        kafka_bootstrap=kafka_bootstrap,
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def container_of(client: TestClient) -> Container:
    built: Container = client.app.state.container  # type: ignore[attr-defined]
    return built


def wait_for_views(client: TestClient, token: str) -> None:
    source, position = token.split(":")
    lag = container_of(client).engine.wait_for(
        source, int(position), ALL_IDENTITY_PROJECTIONS, timeout_seconds=30
    )
    assert lag == 0, f"identity projections are {lag} events behind"


def wait_for_careers(client: TestClient, token: str) -> None:
    source, position = token.split(":")
    views = [CANDIDATES_PROJECTION, ROADMAPS_PROJECTION, ROADMAP_CACHE_PROJECTION]
    lag = container_of(client).engine.wait_for(
        source, int(position), views, timeout_seconds=30
    )
    assert lag == 0, f"the careers views are {lag} events behind"


def wait_for_career_erasure(client: TestClient, erasure_token: str) -> None:
    """Until the careers process manager has reacted to the erasure and the
    candidates view has applied what it recorded."""
    engine = container_of(client).engine
    _, position = erasure_token.split(":")
    lag = engine.wait_for("identity", int(position), [CAREERS_PROCESS], 30)
    assert lag == 0, f"the careers process manager is {lag} events behind"
    wait_for_careers(client, f"careers:{engine.head('careers')}")


def test_me_is_served_from_redis_and_role_changes_show(client: TestClient) -> None:
    container = container_of(client)
    ada = sign_in(client, roles=("CANDIDATE",))
    wait_for_views(client, ada.body["consistency_token"])
    directory = container.identity.directory
    hits = directory.cache_hits
    response = client.get("/me", headers=ada.headers)
    assert response.status_code == 200, response.text
    assert directory.cache_hits == hits + 1

    email = f"root-{uuid4().hex[:8]}@example.org"
    container.dispatcher.dispatch(BootstrapAdmin(actor=Actor.system("t"), email=email))
    root = sign_in(client, email)
    granted = client.put(
        f"/users/{ada.user_id}/roles/CAREER_MENTOR", headers=root.headers
    )
    wait_for_views(client, granted.json()["consistency_token"])
    assert client.get("/me", headers=ada.headers).json()["roles"] == [
        "CANDIDATE",
        "CAREER_MENTOR",
    ]


def test_when_redis_is_down_requests_fall_back_to_postgres(
    postgres_url: str, postgres_schema: str
) -> None:
    # Nothing listens on port 1: every Redis call fails fast.
    settings = Settings(postgres_url=postgres_url, postgres_schema=postgres_schema)
    dead_redis = RedisCache("redis://127.0.0.1:1/0", timeout_seconds=0.2)
    container = build_container(settings, cache=dead_redis)
    with TestClient(create_app(container=container)) as client:
        ada = sign_in(client, given_name="Ada")
        source, position = ada.body["consistency_token"].split(":")
        container.engine.wait_for(source, int(position), [USERS_PROJECTION], 30)
        for _ in range(3):
            response = client.get("/me", headers=ada.headers)
            assert response.status_code == 200, response.text
            assert response.json()["first_name"] == "Ada"
        assert container.identity.directory.cache_errors >= 1

        # Check read-your-writes still answers: the view has the write, the cache
        # (stuck behind a dead Redis) is skipped.
        patched = client.patch("/me", headers=ada.headers, json={"first_name": "Adah"})
        after = patched.json()["consistency_token"]
        response = client.get("/me", headers=ada.headers, params={"after": after})
        assert response.status_code == 200, response.text
        assert response.json()["first_name"] == "Adah"
    container.close()


# --- Erasure leaves nothing behind ---------------------------------------------------


def _postgres_tables_containing(url: str, needles: list[str]) -> list[str]:
    """Every table whose rows, as text or as raw bytes, contain one of ``needles``."""
    found = []
    patterns = [f"%{n}%" for n in needles]
    with psycopg.connect(url, autocommit=True) as connection:
        tables = connection.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' "
            "AND table_schema NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
        for schema, table in tables:
            name = f'"{schema}"."{table}"'
            hit = connection.execute(
                f"SELECT EXISTS (SELECT 1 FROM {name} AS r "
                "WHERE r::text ILIKE ANY(%s))",
                (patterns,),
            ).fetchone()
            if hit and hit[0]:
                found.append(name)
                continue
            binary = connection.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = %s AND data_type = 'bytea'",
                (schema, table),
            ).fetchall()
            for (column,) in binary:
                hit = connection.execute(
                    f'SELECT EXISTS (SELECT 1 FROM {name} WHERE "{column}" IS NOT NULL '
                    f"AND ("
                    + " OR ".join(
                        f"position(convert_to(%s, 'UTF8') in \"{column}\") > 0"
                        for _ in needles
                    )
                    + "))",
                    needles,
                ).fetchone()
                if hit and hit[0]:
                    found.append(f"{name}.{column}")
    return found


def _redis_keys_containing(url: str, needles: list[str]) -> list[str]:
    client = redis.Redis.from_url(url)
    found = []
    encoded = [n.encode().lower() for n in needles]
    for key in client.scan_iter(count=1000):
        kind = client.type(key)
        values: list[Any]
        if kind == b"string":
            values = [client.get(key)]
        elif kind == b"hash":
            values = [*client.hgetall(key).keys(), *client.hgetall(key).values()]
        elif kind == b"list":
            values = list(client.lrange(key, 0, -1))
        elif kind == b"set":
            values = list(client.smembers(key))
        elif kind == b"zset":
            values = list(client.zrange(key, 0, -1))
        else:
            values = []
        blob = b" ".join(v for v in [key, *values] if isinstance(v, bytes)).lower()
        if any(n in blob for n in encoded):
            found.append(key.decode(errors="replace"))
    client.close()
    return found


def _kafka_messages_containing(
    container: Container, topic: str, needles: list[str], user_id: str
) -> tuple[int, list[str]]:
    """How many messages about ``user_id`` the topic holds, and any with a needle."""
    consumer = container.bus.consumer([topic], group_id=f"erasure-{uuid4().hex}")
    about_user, leaks = 0, []
    deadline = time.monotonic() + 20
    encoded = [n.encode().lower() for n in needles]
    try:
        while time.monotonic() < deadline:
            messages = consumer.poll(1.0)
            for message in messages:
                if message.key == user_id:
                    about_user += 1
                if any(n in message.value.lower() for n in encoded):
                    leaks.append(f"{message.topic}@{message.offset}")
            if about_user >= 3 and not messages:
                break
    finally:
        consumer.close()
    return about_user, leaks


def test_erasure_leaves_no_personal_data_in_any_store(
    client: TestClient,
    settings: Settings,
    postgres_url: str,
    redis_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    unique = uuid4().hex[:10]
    first, last = f"Zelda{unique}", f"Quix{unique}"
    email = f"zelda.{unique}@example.org"
    phone = "+1415" + str(int(unique, 16))[:7].rjust(7, "7")
    needles = [first, last, email, phone]

    zelda: SignedIn = sign_in(
        client, email, roles=("CANDIDATE",), given_name=first, family_name=last
    )
    patched = client.patch(
        "/me",
        headers=zelda.headers,
        json={
            "phone": phone,
            "address": {"line1": f"1 {last} Road", "city": "Oakland", "country": "US"},
        },
    )
    assert patched.status_code == 200, patched.text
    wait_for_views(client, patched.json()["consistency_token"])
    # Her career record: a profile and a needs assessment, each with her words.
    career = [f"Headline{unique}", f"Skill{unique}", f"Prize{unique}", f"Need{unique}"]
    profiled = client.put(
        "/me/career-profile",
        headers=zelda.headers,
        json={
            "headline": f"{first} {last}, {career[0]}",
            "skills": [career[1]],
            "achievements": [career[2]],
            "work_history": [{"employer": f"{last} Ltd", "title": "Analyst"}],
            "links": [f"https://example.org/{unique}"],
        },
    )
    assert profiled.status_code == 200, profiled.text
    assessed = client.post(
        "/me/assessments",
        headers=zelda.headers,
        json={
            "needs": {"resume_writing": {"level": "urgent", "text": career[3]}},
            "region": "Bay Area",
            "country": "US",
            "preferred_format": "online",
            "availability": f"Evenings, call {phone}",
        },
    )
    assert assessed.status_code == 201, assessed.text
    # A goal of her own on her roadmap, in her words.
    goal = [f"Goal{unique}", f"Step{unique}"]
    requested = client.post(
        "/me/roadmap/items",
        headers=zelda.headers,
        json={"goal": {"title": goal[0], "modules": [{"title": goal[1]}]}},
    )
    assert requested.status_code == 201, requested.text
    career += goal
    wait_for_careers(client, requested.json()["consistency_token"])

    # Check the search finds the data while it is there (the views and the cache),
    # and that the event stores never held it in clear.
    found = _postgres_tables_containing(postgres_url, needles)
    assert any("users_v" in t for t in found), found
    assert not any("identity_events" in t for t in found), found
    assert _redis_keys_containing(redis_url, needles)
    found = _postgres_tables_containing(postgres_url, career)
    assert any("careers_candidates_v" in t for t in found), found
    assert any("careers_assessments_v" in t for t in found), found
    assert any("car_roadmaps_v" in t for t in found), found
    assert not any("careers_events" in t for t in found), found
    assert _redis_keys_containing(redis_url, goal)  # the cached roadmap

    erased = client.delete("/me", headers=zelda.headers)
    assert erased.status_code == 200, erased.text
    wait_for_views(client, erased.json()["consistency_token"])
    wait_for_career_erasure(client, erased.json()["consistency_token"])

    needles += career
    assert _postgres_tables_containing(postgres_url, needles) == []
    assert _redis_keys_containing(redis_url, needles) == []
    container = container_of(client)
    about_user, leaks = _kafka_messages_containing(
        container, USERS_TOPIC, needles, zelda.user_id
    )
    assert about_user >= 2  # registered ... erased: the topic was searched
    assert leaks == []
    logged = "\n".join(
        f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records
    )
    assert not [n for n in needles if n.lower() in logged.lower()]

    # Check the erased user's tokens no longer work and their events still load.
    assert client.get("/me", headers=zelda.headers).status_code == 401
    app = container.application(IdentityApplication)
    assert app.get_user(UUID(zelda.user_id)).erased


def test_concurrent_first_sign_ins_on_postgres_make_one_user(
    client: TestClient,
) -> None:
    dispatcher = container_of(client).dispatcher
    subject, email = uuid4().hex, f"race-{uuid4().hex[:8]}@example.org"
    results: list[UUID] = []
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def run() -> None:
        start.wait()
        try:
            outcome = dispatcher.dispatch(
                SignIn(
                    actor=Actor.system("race"),
                    issuer="https://accounts.google.com",
                    subject=subject,
                    email=email,
                    email_verified=True,
                )
            )
            results.append(outcome.user_id)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(set(results)) == 1


# --- Sign-in replays and read-your-writes tokens, on PostgreSQL ---------------------


def test_an_id_token_is_exchanged_once_on_postgres(client: TestClient) -> None:
    nonce = uuid4().hex
    token = dev_id_token(client, f"{uuid4().hex[:8]}@example.org", nonce)
    body = {"id_token": token, "nonce": nonce}
    assert client.post("/auth/sign-in", json=body).status_code == 200
    replayed = client.post("/auth/sign-in", json=body)
    assert replayed.status_code == 401, replayed.text
    assert "already been exchanged" in replayed.json()["detail"]

    # Check of simultaneous exchanges of a fresh token exactly one gets in.
    for _ in range(3):
        nonce = uuid4().hex
        token = dev_id_token(client, f"{uuid4().hex[:8]}@example.org", nonce)
        statuses = exchange_at_once(client, token, nonce, runners=8)
        assert sorted(statuses) == [200] + [401] * 7


def test_a_consistency_token_beyond_the_head_is_refused_at_once_on_postgres(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    container = container_of(client)
    ada = sign_in(client)
    wait_for_views(client, ada.body["consistency_token"])
    head = container.engine.head("identity")
    assert head >= int(ada.body["consistency_token"].split(":")[1])
    spy = spy_on_waits(container.engine, monkeypatch)

    # Check a request without an access token is 401 before any wait.
    anonymous = client.get("/me", params={"after": far_beyond()})
    assert anonymous.status_code == 401, anonymous.text
    assert (spy.asked, spy.heads) == ([], [])

    # Check one past the head is 422 at once, naming the field; the head answers.
    beyond = client.get(
        "/me", params={"after": f"identity:{head + 1}"}, headers=ada.headers
    )
    assert beyond.status_code == 422, beyond.text
    assert beyond.json()["errors"][0]["field"] == "after"
    assert spy.heads == ["identity"]
    assert spy.waits == []
    reached = client.get(
        "/me", headers={**ada.headers, "Spotlight-After": f"identity:{head}"}
    )
    assert reached.status_code == 200, reached.text
