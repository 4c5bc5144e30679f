"""Hostile text over HTTP on the real servers: the users view in PostgreSQL (where a
NUL once stopped the projection, and every read waiting for it answered 504), the
user cache in Redis, the offerings in FerretDB."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from adapters.bootstrap import Container, build_container
from adapters.http.app import create_app
from adapters.settings import Settings
from tests.support import hostile_text_http as hostile
from tests.support.onboarding_http import OnboardingClient

pytestmark = pytest.mark.real_services


@pytest.fixture
def world(
    tmp_path: Path,
    postgres_url: str,
    postgres_schema: str,
    redis_url: str,
    mongo_url: str,
) -> Iterator[OnboardingClient]:
    run = uuid.uuid4().hex[:10]
    settings = Settings(
        data_dir=tmp_path,
        postgres_url=postgres_url,
        postgres_schema=postgres_schema,
        redis_url=redis_url,
        mongo_url=mongo_url,
        mongo_database=f"it_text_{run}",
    )
    container: Container = build_container(settings)
    try:
        with TestClient(create_app(container=container)) as client:
            yield OnboardingClient.start(client, container, f"root-{run}@example.org")
    finally:
        container.documents.drop("offerings_v1")
        container.close()


def test_names_with_control_characters_are_refused(world: OnboardingClient) -> None:
    hostile.names_with_control_characters_are_refused(world.client)
    assert_every_projection_is_running(world.container)


def test_a_providers_bad_given_name_is_dropped_at_sign_in(
    world: OnboardingClient,
) -> None:
    hostile.a_providers_bad_given_name_is_dropped_at_sign_in(world.client)
    assert_every_projection_is_running(world.container)


def test_offering_text_is_checked(world: OnboardingClient) -> None:
    hostile.offering_text_is_checked(world)
    assert_every_projection_is_running(world.container)


def assert_every_projection_is_running(container: Container) -> None:
    failed = [
        (status.name, status.last_error)
        for status in container.engine.status()
        if status.last_error is not None
    ]
    assert failed == []
