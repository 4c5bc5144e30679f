"""Uploads are one-time on S3 (moto), where a presigned URL cannot be revoked: the
scenarios of ``tests.support.uploads``, the bytes PUT and fetched over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from adapters.bootstrap import Container, build_container
from adapters.http.app import create_app
from adapters.s3.blobs import S3BlobStore
from adapters.settings import Settings
from tests.support.onboarding_http import OnboardingClient
from tests.support.uploads import Fetched, OneTimeUploads, UploadsWorld


class S3Uploads(UploadsWorld):
    def put(self, url: str, data: bytes, headers: dict[str, str]) -> int:
        return httpx.put(url, content=data, headers=headers).status_code

    def fetch(self, url: str) -> Fetched:
        response = httpx.get(url)
        return Fetched(
            response.status_code,
            response.content,
            response.headers.get("content-type", ""),
        )


class TestOneTimeUploadsOnS3(OneTimeUploads):
    # S3 takes the PUT (a presigned URL cannot be revoked); nothing reads it.
    spent_put_status = 200

    @pytest.fixture
    def world(self, tmp_path: Path, s3_endpoint: str) -> Iterator[UploadsWorld]:
        container: Container = build_container(
            Settings(
                event_store="popo",
                data_dir=tmp_path,
                s3_endpoint=s3_endpoint,
                s3_bucket=f"it-uploads-{uuid.uuid4().hex[:10]}",
            )
        )
        assert isinstance(container.blobs, S3BlobStore)
        container.blobs.ensure_bucket()
        try:
            with TestClient(create_app(container=container)) as client:
                yield S3Uploads(
                    OnboardingClient.start(client, container, "root@example.org")
                )
        finally:
            container.close()
