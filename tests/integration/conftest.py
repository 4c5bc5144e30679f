"""Fixtures of the tests that compose the whole app over the real servers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.onboarding_http import RealServices


@pytest.fixture
def real_services(
    *,
    tmp_path: Path,
    postgres_url: str,
    mongo_url: str,
    redis_url: str,
    kafka_bootstrap: str,
    s3_endpoint: str,
) -> RealServices:
    """Every real server, and a folder of the test's own for local files."""
    return RealServices(
        tmp_path, postgres_url, mongo_url, redis_url, kafka_bootstrap, s3_endpoint
    )
