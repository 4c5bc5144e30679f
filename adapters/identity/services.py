"""Builds identity's adapters from ``Settings`` (called by the composition root)."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from adapters.embedded.views import SqliteRelationalStore
from adapters.identity.data_keys import SqlPersonalDataVault
from adapters.identity.refresh_tokens import SqlRefreshTokens
from adapters.identity.signing_keys import SqlSigningKeys
from adapters.identity.spent_id_tokens import SqlSpentIdTokens
from adapters.identity.tokens import AccessTokens
from adapters.identity.verified_tokens import VerifiedTokens
from adapters.oidc.dev_issuer import (
    DEV_ISSUER_PATH,
    DevelopmentIssuer,
    RoutingTransport,
)
from adapters.oidc.verifier import IssuerConfig, OidcVerifier
from adapters.resilience import CircuitBreaker
from adapters.settings import Settings
from commands.personal_data import CachingVault
from ports.cache import AsyncCacheReads, Cache
from ports.relational import RelationalStore
from queries.identity.users import UserDirectory

GOOGLE_ISSUER = "https://accounts.google.com"
APPLE_ISSUER = "https://appleid.apple.com"
FACEBOOK_ISSUER = "https://www.facebook.com"
HTTP_TIMEOUT_SECONDS = 5.0


@dataclass
class IdentityServices:
    store: RelationalStore
    vault: CachingVault
    refresh_tokens: SqlRefreshTokens
    spent_id_tokens: SqlSpentIdTokens
    signing_keys: SqlSigningKeys
    access_tokens: AccessTokens
    # The access tokens this process verified, until they expire (requests' check).
    verified_tokens: VerifiedTokens
    verifier: OidcVerifier
    directory: UserDirectory
    dev_issuer: DevelopmentIssuer | None
    http: httpx.Client
    # The vault's own table, behind ``vault``'s cache.
    data_keys: SqlPersonalDataVault
    # The user cache's reads for the event loop (the directory's).
    cache_reads: AsyncCacheReads | None = None
    _owned: list[RelationalStore] = field(default_factory=list)

    def setup(self) -> None:
        """Create identity's tables and the first signing key now, rather than on
        first use: at start-up, where processes take turns (``Container.prepare``)."""
        for table in (self.data_keys, self.refresh_tokens, self.spent_id_tokens):
            table.setup()
        self.signing_keys.current()

    async def aclose(self) -> None:
        """Close what the running event loop opened (the app's shutdown)."""
        if self.cache_reads is not None:
            await self.cache_reads.aclose()

    def close(self) -> None:
        self.http.close()
        for store in self._owned:
            store.close()


def configured_issuers(settings: Settings) -> list[IssuerConfig]:
    issuers = []
    if settings.oidc_google_client_ids:
        issuers.append(
            IssuerConfig(
                name="google",
                issuer=GOOGLE_ISSUER,
                client_ids=tuple(settings.oidc_google_client_ids),
                issuer_aliases=("accounts.google.com",),
            )
        )
    if settings.oidc_apple_client_ids:
        issuers.append(
            IssuerConfig(
                name="apple",
                issuer=APPLE_ISSUER,
                client_ids=tuple(settings.oidc_apple_client_ids),
            )
        )
    if settings.oidc_facebook_app_ids:
        # Limited Login ID tokens; Facebook publishes discovery under its issuer.
        issuers.append(
            IssuerConfig(
                name="facebook",
                issuer=FACEBOOK_ISSUER,
                client_ids=tuple(settings.oidc_facebook_app_ids),
                discovery_url=f"{FACEBOOK_ISSUER}/.well-known/openid-configuration/",
            )
        )
    issuers.extend(
        IssuerConfig(
            name=extra.name,
            issuer=extra.issuer,
            client_ids=tuple(extra.client_ids),
            discovery_url=extra.discovery_url,
        )
        for extra in settings.oidc_issuers
    )
    return issuers


def identity_store(
    settings: Settings, breaker: CircuitBreaker | None = None
) -> RelationalStore:
    """Identity's tables live beside the events: keys must outlast them."""
    kind = settings.event_store_kind
    if kind == "postgres":
        from adapters.postgres.views import PostgresRelationalStore

        assert settings.postgres_url
        return PostgresRelationalStore(
            settings.postgres_url,
            max_connections=5,
            schema=settings.postgres_schema,
            breaker=breaker,
            timeout_seconds=settings.postgres_timeout_seconds,
            max_waiting=settings.postgres_max_waiting,
        )
    if kind == "sqlite":
        return SqliteRelationalStore(settings.identity_sqlite_path)
    return SqliteRelationalStore(None)


def build_identity_services(
    settings: Settings,
    views: RelationalStore,
    cache: Cache,
    *,
    store: RelationalStore | None = None,
    network: httpx.BaseTransport | None = None,
    breaker: CircuitBreaker | None = None,
    cache_reads: AsyncCacheReads | None = None,
) -> IdentityServices:
    """``store`` and ``network`` are for tests (a schema, a fake provider);
    ``breaker`` is PostgreSQL's, shared with the other clients of the server;
    ``cache_reads`` are ``cache``'s reads for the event loop (else in threads)."""
    owned = [] if store is not None else [identity_store(settings, breaker)]
    store = store or owned[0]
    issuers = configured_issuers(settings)
    dev_issuer = None
    local_handlers = []
    if settings.dev_issuer_active:
        dev_issuer = DevelopmentIssuer(
            settings.public_base_url.rstrip("/") + DEV_ISSUER_PATH,
            # Every worker process of the deployment signs with the same key.
            secret=settings.signing_secret.encode(),
        )
        issuers.append(dev_issuer.config)
        local_handlers.append(dev_issuer.handle)
    http = httpx.Client(
        transport=RoutingTransport(local_handlers, network),
        timeout=HTTP_TIMEOUT_SECONDS,
        follow_redirects=False,
    )
    signing_keys = SqlSigningKeys(
        store,
        # A retired key verifies for as long as the tokens it signed can live.
        retention_seconds=settings.access_token_ttl_seconds + 300,
    )
    data_keys = SqlPersonalDataVault(store)
    access_tokens = AccessTokens(
        signing_keys,
        issuer=settings.public_base_url.rstrip("/"),
        ttl_seconds=settings.access_token_ttl_seconds,
    )
    return IdentityServices(
        store=store,
        vault=CachingVault(data_keys),
        data_keys=data_keys,
        refresh_tokens=SqlRefreshTokens(store, settings.refresh_token_ttl_seconds),
        spent_id_tokens=SqlSpentIdTokens(store),
        signing_keys=signing_keys,
        access_tokens=access_tokens,
        verified_tokens=VerifiedTokens(
            access_tokens, max_entries=settings.verified_tokens_cache_size
        ),
        verifier=OidcVerifier(
            issuers, http, leeway_seconds=settings.oidc_leeway_seconds
        ),
        directory=UserDirectory(views, cache, reads=cache_reads),
        dev_issuer=dev_issuer,
        http=http,
        cache_reads=cache_reads,
        _owned=owned,
    )
