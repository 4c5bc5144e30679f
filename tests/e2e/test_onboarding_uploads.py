"""Uploads are one-time on the embedded blob store, whose signed URLs the API
serves itself: the scenarios of ``tests.support.uploads``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from adapters.bootstrap import Container, build_container
from adapters.embedded.blobs import LocalDiskBlobStore
from adapters.http.app import create_app
from adapters.settings import Settings
from tests.support.onboarding_http import OnboardingClient
from tests.support.uploads import Fetched, OneTimeUploads, UploadsWorld


class EmbeddedUploads(UploadsWorld):
    def put(self, url: str, data: bytes, headers: dict[str, str]) -> int:
        code: int = self.client.put(url, content=data, headers=headers).status_code
        return code

    def fetch(self, url: str) -> Fetched:
        response = self.client.get(url)
        return Fetched(
            response.status_code,
            response.content,
            response.headers.get("content-type", ""),
        )


class TestOneTimeUploadsOnTheEmbeddedStore(OneTimeUploads):
    # The embedded store refuses a signed PUT to a spent key.
    spent_put_status = 409

    @pytest.fixture
    def world(self, tmp_path: Path) -> Iterator[UploadsWorld]:
        container: Container = build_container(
            Settings(
                event_store="popo",
                data_dir=tmp_path,
                public_base_url="http://testserver",
            )
        )
        assert isinstance(container.blobs, LocalDiskBlobStore)
        try:
            with TestClient(create_app(container=container)) as client:
                yield EmbeddedUploads(
                    OnboardingClient.start(client, container, "root@example.org")
                )
        finally:
            container.close()
