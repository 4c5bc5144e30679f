"""The only reader of the environment: every knob has the ``SPOTLIGHT_`` prefix.

Every backend defaults to its embedded implementation so ``make run`` needs no server;
setting a URL selects the real one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SPOTLIGHT_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Path("var")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    public_base_url: str = "http://127.0.0.1:8000"

    # Event store: "popo" (in memory), "sqlite" (a file under data_dir) or "postgres".
    event_store: Literal["popo", "sqlite", "postgres"] | None = None
    postgres_url: str | None = None
    postgres_pool_size: int = Field(default=5, ge=1)
    postgres_max_overflow: int = Field(default=10, ge=0)

    # The projection engine.
    run_projections_in_api: bool = True
    projection_batch_size: int = Field(default=1000, ge=1, le=100_000)
    projection_idle_wait_seconds: float = Field(default=1.0, gt=0)
    read_your_writes_timeout_seconds: float = Field(default=2.0, gt=0, le=30)

    mongo_url: str | None = None
    mongo_database: str = "spotlight"
    redis_url: str | None = None
    kafka_bootstrap: str | None = None
    s3_endpoint: str | None = None
    s3_bucket: str = "spotlight-resources"
    s3_region: str = "us-east-1"
    s3_access_key: str = "spotlight"
    s3_secret_key: str = "spotlight-secret"  # noqa: S105 - moto accepts any credentials

    # Signs embedded presigned URLs; must be overridden in production.
    signing_secret: str = "development-only-signing-secret"  # noqa: S105

    @model_validator(mode="after")
    def _refuse_unsafe_production_defaults(self) -> Settings:
        if self.environment == "production":
            if self.signing_secret == "development-only-signing-secret":  # noqa: S105
                raise ValueError("SPOTLIGHT_SIGNING_SECRET must be set in production")
            if self.postgres_url is None:
                raise ValueError("SPOTLIGHT_POSTGRES_URL must be set in production")
        return self

    @property
    def event_store_kind(self) -> Literal["popo", "sqlite", "postgres"]:
        if self.event_store is not None:
            return self.event_store
        return "postgres" if self.postgres_url else "sqlite"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "events.sqlite"

    @property
    def views_sqlite_path(self) -> Path:
        return self.data_dir / "views.sqlite"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"
