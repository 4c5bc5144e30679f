"""The only reader of the environment: every knob has the ``SPOTLIGHT_`` prefix.

Every backend defaults to its embedded implementation so ``make run`` needs no server;
setting a URL selects the real one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class OidcIssuerSetting(BaseModel):
    """An OpenID provider configured by URL and client ids."""

    name: str
    issuer: str
    client_ids: list[str] = Field(min_length=1)
    discovery_url: str | None = None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SPOTLIGHT_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Path("var")
    # The dashboard's browser libraries, fetched by ``scripts/vendor-assets``
    # (``make install``) as pinned in adapters/http/dashboard/vendor.lock.json.
    vendor_dir: Path = Path("var/vendor")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    public_base_url: str = "http://127.0.0.1:8000"

    # Event store: "popo" (in memory), "sqlite" (a file under data_dir) or "postgres".
    event_store: Literal["popo", "sqlite", "postgres"] | None = None
    postgres_url: str | None = None
    postgres_pool_size: int = Field(default=5, ge=1)
    postgres_max_overflow: int = Field(default=10, ge=0)
    # Events and views go in this schema instead of ``public`` (tests isolate runs).
    postgres_schema: str | None = Field(
        default=None, pattern=r"^[a-z_][a-z0-9_]{0,62}$"
    )

    # Failing fast while a backend is down (``adapters.resilience``). With these
    # defaults a request that needs a backend that is down is answered 503 within
    # ``OUTAGE_ANSWER_BOUND_SECONDS`` (3 s), and at once while its circuit breaker is
    # open; ``adapters.backends.outage_answer_seconds`` works out the worst case.
    # PostgreSQL (events, views, identity): the connect timeout and the longest wait
    # for a pooled connection (whole seconds: libpq and eventsourcing want them).
    postgres_timeout_seconds: int = Field(default=2, ge=1, le=60)
    # Requests queued for a pooled connection beyond this are refused at once (503).
    postgres_max_waiting: int = Field(default=50, ge=1)
    # MongoDB: server selection and connect timeout.
    mongo_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    # Redis: connect and socket timeout (a command is tried at most twice).
    redis_timeout_seconds: float = Field(default=1.0, gt=0, le=60)
    # S3: connect and read timeouts (a request is tried at most twice).
    s3_connect_timeout_seconds: float = Field(default=1.0, gt=0, le=60)
    s3_read_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    # A breaker opens for the cool-down, doubled after each failed trial up to the cap.
    breaker_cooldown_seconds: float = Field(default=1.0, gt=0, le=60)
    breaker_max_cooldown_seconds: float = Field(default=5.0, gt=0, le=300)

    # The projection engine.
    run_projections_in_api: bool = True
    projection_batch_size: int = Field(default=1000, ge=1, le=100_000)
    projection_idle_wait_seconds: float = Field(default=1.0, gt=0)
    read_your_writes_timeout_seconds: float = Field(default=2.0, gt=0, le=30)
    # Readiness says "not ready" when a projection or an inbound consumer is behind
    # and has not moved for this long.
    readiness_stall_seconds: float = Field(default=30.0, gt=0)
    # The roadmap reminders' timer worker runs where projections run, unless off.
    # It looks for due timers every poll interval, up to a batch per transaction.
    # Its clock is the system's plus the offset (seconds; a test or a staging
    # system may run ahead to see reminders fall due).
    reminders_enabled: bool = True
    reminders_poll_seconds: float = Field(default=5.0, gt=0, le=3600)
    reminders_batch_size: int = Field(default=50, ge=1, le=1000)
    reminders_clock_offset_seconds: float = 0.0

    mongo_url: str | None = None
    mongo_database: str = "spotlight"
    redis_url: str | None = None
    kafka_bootstrap: str | None = None
    s3_endpoint: str | None = None
    s3_bucket: str = "spotlight-resources"
    s3_region: str = "us-east-1"
    s3_access_key: str = "spotlight"
    s3_secret_key: str = "spotlight-secret"  # noqa: S105 - moto accepts any credentials

    # Analytics: where ``spotlight analytics export`` writes by default (a directory,
    # or s3://bucket/prefix); unset, ``<data_dir>/analytics``.
    analytics_dir: str | None = None

    # Onboarding: the seed's offering flow (offering created -> NPO).
    onboarding_offerings_topic: str = "spotlight.onboarding.offerings"

    # Careers: how many recommendations a candidate is shown at most.
    recommendations_limit: int = Field(default=10, ge=1, le=50)

    # Reports over the analytics export (``adapters.analytics.reports``): the export
    # is brought up to date first when the last one is older than this (0: always);
    # a report's query is interrupted past the timeout (503).
    analytics_max_age_seconds: float = Field(default=30.0, ge=0)
    reports_timeout_seconds: float = Field(default=30.0, gt=0, le=600)

    # Signs embedded presigned URLs; must be overridden in production.
    signing_secret: str = "development-only-signing-secret"  # noqa: S105
    # Keys the pseudonyms NPOs see for candidates who do not show them their name
    # (``queries.careers.enrolments``); unset, it is derived from the signing
    # secret. Keep it: changing it changes every pseudonym.
    pseudonym_secret: str | None = None

    # --- Identity: OpenID Connect sign-in and the platform's tokens ---------------
    # The built-in development issuer: on by default in development only; refused
    # in production.
    dev_issuer_enabled: bool | None = None
    # Providers are enabled by giving their client ids (JSON lists in the env).
    oidc_google_client_ids: list[str] = Field(default_factory=list)
    oidc_apple_client_ids: list[str] = Field(default_factory=list)
    oidc_facebook_app_ids: list[str] = Field(default_factory=list)
    # Any other standard issuer: [{"name", "issuer", "client_ids", "discovery_url"}].
    oidc_issuers: list[OidcIssuerSetting] = Field(default_factory=list)
    oidc_leeway_seconds: int = Field(default=60, ge=0, le=300)
    access_token_ttl_seconds: int = Field(default=900, ge=60, le=3600)
    refresh_token_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=3600)

    # Serving: `spotlight serve`'s worker processes (each with its own pools, engine
    # and position board) and uvicorn's one line per request.
    workers: int = Field(default=1, ge=1, le=64)
    access_log: bool = True

    # Logs (``adapters.observability.logs``): "json" (one object per line) or
    # "text"; unset, served processes (`spotlight serve`, `spotlight projections
    # run`) write JSON and the other commands text for a terminal.
    log_format: Literal["json", "text"] | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # Metrics (``GET /metrics``, ADR 019): a bearer token a scraper sends instead
    # of an admin's access token (unset: admins only); where `spotlight serve`'s
    # workers keep their counters (in port-<port>, emptied at each start; default
    # <data_dir>/metrics); how long a scrape waits for each figure read from a
    # backend, and how long such a figure is kept.
    metrics_token: str | None = Field(default=None, min_length=16)
    metrics_dir: Path | None = None
    metrics_source_timeout_seconds: float = Field(default=1.0, gt=0, le=30)
    metrics_fresh_seconds: float = Field(default=5.0, ge=0, le=300)

    @model_validator(mode="after")
    def _refuse_development_issuer_in_production(self) -> Settings:
        if self.environment == "production" and self.dev_issuer_enabled:
            raise ValueError(
                "SPOTLIGHT_DEV_ISSUER_ENABLED: the development issuer signs tokens "
                "for anyone and is refused in production"
            )
        return self

    @model_validator(mode="after")
    def _refuse_a_shifted_clock_in_production(self) -> Settings:
        if self.environment == "production" and self.reminders_clock_offset_seconds:
            raise ValueError(
                "SPOTLIGHT_REMINDERS_CLOCK_OFFSET_SECONDS: reminders would be sent "
                "before they are due; refused in production"
            )
        return self

    @model_validator(mode="after")
    def _refuse_a_cap_below_the_cooldown(self) -> Settings:
        if self.breaker_max_cooldown_seconds < self.breaker_cooldown_seconds:
            raise ValueError(
                "SPOTLIGHT_BREAKER_MAX_COOLDOWN_SECONDS must be at least "
                "SPOTLIGHT_BREAKER_COOLDOWN_SECONDS"
            )
        return self

    @property
    def dev_issuer_active(self) -> bool:
        if self.dev_issuer_enabled is None:
            return self.environment == "development"
        return self.dev_issuer_enabled and self.environment == "development"

    @property
    def identity_sqlite_path(self) -> Path:
        return self.data_dir / "identity.sqlite"

    @model_validator(mode="after")
    def _refuse_unsafe_production_defaults(self) -> Settings:
        if self.environment == "production":
            if self.signing_secret == "development-only-signing-secret":  # noqa: S105
                raise ValueError("SPOTLIGHT_SIGNING_SECRET must be set in production")
            if self.postgres_url is None:
                raise ValueError("SPOTLIGHT_POSTGRES_URL must be set in production")
        return self

    @property
    def pseudonym_key(self) -> bytes:
        """The key of NPOs' pseudonyms for candidates (see ``pseudonym_secret``)."""
        if self.pseudonym_secret:
            return self.pseudonym_secret.encode()
        return f"pseudonyms:{self.signing_secret}".encode()

    @property
    def event_store_kind(self) -> Literal["popo", "sqlite", "postgres"]:
        if self.event_store is not None:
            return self.event_store
        return "postgres" if self.postgres_url else "sqlite"

    def sqlite_events_path(self, application: str) -> Path:
        return self.data_dir / f"events-{application}.sqlite"

    @property
    def views_sqlite_path(self) -> Path:
        return self.data_dir / "views.sqlite"

    @property
    def metrics_path(self) -> Path:
        return self.metrics_dir or self.data_dir / "metrics"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    # Read path
    # Access tokens whose signature and claims each process remembers having
    # verified, each until it expires (``adapters.identity.verified_tokens``); 0
    # verifies every request's token.
    verified_tokens_cache_size: int = Field(default=10_000, ge=0, le=1_000_000)
