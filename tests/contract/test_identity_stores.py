"""Identity's tables (personal-data keys, refresh tokens, signing keys) on SQLite and
PostgreSQL: one contract, both dialects."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from uuid import uuid4

import jwt
import pytest

from adapters.embedded.views import SqliteRelationalStore
from adapters.identity.data_keys import SqlPersonalDataVault
from adapters.identity.refresh_tokens import InvalidRefreshTokenError, SqlRefreshTokens
from adapters.identity.signing_keys import SqlSigningKeys
from adapters.identity.tokens import AccessTokens, InvalidAccessTokenError
from adapters.postgres.views import PostgresRelationalStore
from commands.personal_data import PersonalDataErasedError
from ports.relational import RelationalStore


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


class IdentityStoresContract(ABC):
    @abstractmethod
    @pytest.fixture
    def store(self) -> RelationalStore: ...

    @pytest.fixture
    def clock(self) -> Clock:
        return Clock()

    # -- Personal-data keys ----------------------------------------------------------

    def test_a_key_is_made_once_per_person_and_kept(
        self, store: RelationalStore
    ) -> None:
        vault = SqlPersonalDataVault(store)
        person, other = uuid4(), uuid4()
        key = vault.key_for_encryption(person)
        assert len(key) == 32
        assert vault.key_for_encryption(person) == key
        assert vault.key_for_decryption(person) == key
        assert vault.key_for_encryption(other) != key
        assert vault.key_for_decryption(uuid4()) is None

    def test_a_destroyed_key_is_gone_for_good(self, store: RelationalStore) -> None:
        vault = SqlPersonalDataVault(store)
        person = uuid4()
        vault.key_for_encryption(person)
        vault.destroy(person)
        vault.destroy(person)  # idempotent
        assert vault.key_for_decryption(person) is None
        with pytest.raises(PersonalDataErasedError):
            vault.key_for_encryption(person)

    # -- Refresh tokens --------------------------------------------------------------

    def test_refresh_rotates_and_a_reused_token_revokes_its_family(
        self, store: RelationalStore, clock: Clock
    ) -> None:
        tokens = SqlRefreshTokens(store, ttl_seconds=3600, clock=clock)
        user = uuid4()
        first = tokens.issue(user)
        second = tokens.rotate(first.token)
        assert second.user_id == user
        assert second.token != first.token

        # Check replaying the spent token fails and takes the successor down too.
        with pytest.raises(InvalidRefreshTokenError):
            tokens.rotate(first.token)
        with pytest.raises(InvalidRefreshTokenError):
            tokens.rotate(second.token)

    def test_refresh_tokens_expire(self, store: RelationalStore, clock: Clock) -> None:
        tokens = SqlRefreshTokens(store, ttl_seconds=3600, clock=clock)
        issued = tokens.issue(uuid4())
        clock.now += 3601
        with pytest.raises(InvalidRefreshTokenError):
            tokens.rotate(issued.token)

    def test_sign_out_and_revoke_all(self, store: RelationalStore) -> None:
        tokens = SqlRefreshTokens(store, ttl_seconds=3600)
        user = uuid4()
        laptop, phone = tokens.issue(user), tokens.issue(user)
        tokens.revoke(laptop.token)
        with pytest.raises(InvalidRefreshTokenError):
            tokens.rotate(laptop.token)
        assert tokens.live_count(user) == 1
        tokens.revoke_all(user)
        with pytest.raises(InvalidRefreshTokenError):
            tokens.rotate(phone.token)
        tokens.revoke("never-issued")  # no error, no oracle

    def test_tokens_are_stored_hashed(self, store: RelationalStore) -> None:
        tokens = SqlRefreshTokens(store, ttl_seconds=3600)
        issued = tokens.issue(uuid4())
        with store.transaction() as session:
            rows = session.fetchall(f"SELECT token_hash FROM {SqlRefreshTokens.TABLE}")
        assert all(issued.token not in str(row[0]) for row in rows)

    # -- Signing keys ----------------------------------------------------------------

    def test_rotation_keeps_old_tokens_valid_until_retention_ends(
        self, store: RelationalStore, clock: Clock
    ) -> None:
        keys = SqlSigningKeys(store, retention_seconds=1200, clock=clock)
        access = AccessTokens(
            keys, issuer="https://spotlight.test", ttl_seconds=900, clock=clock
        )
        user = uuid4()
        before = access.issue(user, [])
        old_kid = keys.current().kid

        new_key = keys.rotate()
        assert new_key.kid != old_kid
        after = access.issue(user, [])
        assert jwt.get_unverified_header(after.token)["kid"] == new_key.kid

        # Check both tokens verify, and the JWKS publishes both keys.
        assert access.verify(before.token).user_id == user
        assert access.verify(after.token).user_id == user
        assert {k["kid"] for k in keys.jwks()["keys"]} == {old_kid, new_key.kid}

        # Check another process (another instance) sees the rotation.
        elsewhere = SqlSigningKeys(store, retention_seconds=1200, clock=clock)
        assert elsewhere.current().kid == new_key.kid
        assert elsewhere.find(old_kid) is not None

        # Check once retention has passed the old key is gone from the JWKS.
        clock.now += 1300
        fresh = SqlSigningKeys(store, retention_seconds=1200, clock=clock)
        assert {k["kid"] for k in fresh.jwks()["keys"]} == {new_key.kid}
        with pytest.raises(InvalidAccessTokenError):
            AccessTokens(
                fresh, issuer="https://spotlight.test", ttl_seconds=900, clock=clock
            ).verify(before.token)


class TestSqliteIdentityStores(IdentityStoresContract):
    @pytest.fixture
    def store(self) -> Iterator[RelationalStore]:
        store = SqliteRelationalStore(None)
        yield store
        store.close()


class TestPostgresIdentityStores(IdentityStoresContract):
    @pytest.fixture
    def store(
        self, postgres_url: str, postgres_schema: str
    ) -> Iterator[RelationalStore]:
        url = f"{postgres_url}?options=-csearch_path%3D{postgres_schema}"
        store = PostgresRelationalStore(url, max_connections=2)
        yield store
        store.close()
