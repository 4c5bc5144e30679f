"""Identity's settings: providers by client id, any issuer by URL, the dev issuer."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from adapters.identity.services import configured_issuers
from adapters.settings import Settings


def test_providers_are_enabled_by_their_client_ids(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SPOTLIGHT_OIDC_GOOGLE_CLIENT_IDS", '["g-web", "g-ios"]')
    monkeypatch.setenv("SPOTLIGHT_OIDC_APPLE_CLIENT_IDS", '["org.spotlight.app"]')
    monkeypatch.setenv("SPOTLIGHT_OIDC_FACEBOOK_APP_IDS", '["1234"]')
    monkeypatch.setenv(
        "SPOTLIGHT_OIDC_ISSUERS",
        '[{"name": "okta", "issuer": "https://example.okta.com", "client_ids": ["x"]}]',
    )
    issuers = {i.name: i for i in configured_issuers(Settings())}
    assert set(issuers) == {"google", "apple", "facebook", "okta"}
    assert issuers["google"].client_ids == ("g-web", "g-ios")
    assert "accounts.google.com" in issuers["google"].accepted_issuers
    assert issuers["apple"].issuer == "https://appleid.apple.com"
    assert issuers["facebook"].issuer == "https://www.facebook.com"
    assert issuers["okta"].discovery == (
        "https://example.okta.com/.well-known/openid-configuration"
    )


def test_no_provider_is_enabled_by_default() -> None:
    assert configured_issuers(Settings()) == []


def test_the_development_issuer_is_on_in_development_only() -> None:
    assert Settings().dev_issuer_active
    assert not Settings(dev_issuer_enabled=False).dev_issuer_active
    production = Settings(
        environment="production",
        signing_secret="s3cret",
        postgres_url="postgresql://x@127.0.0.1/x",
    )
    assert not production.dev_issuer_active
    with pytest.raises(ValidationError, match="development issuer"):
        Settings(
            environment="production",
            signing_secret="s3cret",
            postgres_url="postgresql://x@127.0.0.1/x",
            dev_issuer_enabled=True,
        )


def test_an_extra_issuer_needs_a_client_id() -> None:
    with pytest.raises(ValidationError, match="client_ids"):
        Settings(oidc_issuers=[{"name": "x", "issuer": "https://x", "client_ids": []}])
