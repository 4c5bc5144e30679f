"""Hostile text over HTTP on the embedded stores: control characters and
invisible formatting in names are refused naming the field, a provider's bad name is
dropped at sign-in, offering text is checked (rich text, attribute lists), and a
relative-looking link to another host loses its href."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from adapters.bootstrap import Container, build_container
from adapters.http.app import create_app
from adapters.settings import Settings
from tests.support import hostile_text_http as hostile
from tests.support.onboarding_http import OnboardingClient


@pytest.fixture
def world(tmp_path: Path) -> Iterator[OnboardingClient]:
    container: Container = build_container(
        Settings(event_store="popo", data_dir=tmp_path)
    )
    try:
        with TestClient(create_app(container=container)) as client:
            yield OnboardingClient.start(client, container, "root@example.org")
    finally:
        container.close()


def test_names_with_control_characters_are_refused(world: OnboardingClient) -> None:
    hostile.names_with_control_characters_are_refused(world.client)


def test_a_providers_bad_given_name_is_dropped_at_sign_in(
    world: OnboardingClient,
) -> None:
    hostile.a_providers_bad_given_name_is_dropped_at_sign_in(world.client)


def test_offering_text_is_checked(world: OnboardingClient) -> None:
    hostile.offering_text_is_checked(world)
