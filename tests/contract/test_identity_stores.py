"""Identity's tables (personal-data keys, refresh tokens, signing keys) on SQLite and
PostgreSQL: one contract, both dialects."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial
from uuid import uuid4

import jwt
import pytest

from adapters.embedded.views import SqliteRelationalStore
from adapters.identity.data_keys import SqlPersonalDataVault
from adapters.identity.refresh_tokens import InvalidRefreshTokenError, SqlRefreshTokens
from adapters.identity.signing_keys import SqlSigningKeys
from adapters.identity.spent_id_tokens import IdTokenSpentError, SqlSpentIdTokens
from adapters.identity.tokens import AccessTokens, InvalidAccessTokenError
from adapters.oidc.verifier import VerifiedIdToken
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

    # -- ID tokens exchanged at sign-in ---------------------------------------------

    def test_an_id_token_is_spent_once(
        self, store: RelationalStore, clock: Clock
    ) -> None:
        spent = SqlSpentIdTokens(store, clock=clock)
        token = id_token(clock)
        spent.spend(token)
        with pytest.raises(IdTokenSpentError, match="already been exchanged"):
            spent.spend(token)
        # Check another instance (another process) refuses it too.
        with pytest.raises(IdTokenSpentError):
            SqlSpentIdTokens(store, clock=clock).spend(token)

    def test_the_nonce_and_the_signed_part_each_identify_a_token(
        self, store: RelationalStore, clock: Clock
    ) -> None:
        spent = SqlSpentIdTokens(store, clock=clock)
        first = id_token(clock)
        spent.spend(first)
        with pytest.raises(IdTokenSpentError):
            spent.spend(replace(first, signed_digest=uuid4().hex))  # same nonce
        with pytest.raises(IdTokenSpentError):
            spent.spend(replace(first, nonce=uuid4().hex))  # same signed part
        # Check a refused exchange recorded nothing: its new signed part is free.
        second = replace(first, signed_digest=uuid4().hex, nonce=uuid4().hex)
        spent.spend(second)
        # Check another issuer's token is its own.
        spent.spend(replace(first, issuer="https://appleid.apple.com"))

    def test_records_last_as_long_as_the_token_verifies(
        self, store: RelationalStore, clock: Clock
    ) -> None:
        spent = SqlSpentIdTokens(store, clock=clock)
        old, new = id_token(clock, lives=60), id_token(clock, lives=600)
        spent.spend(old)
        spent.spend(new)

        # Check once a token no longer verifies, its record refuses nothing more
        # (a provider may meet its nonce again), while a live one still refuses.
        clock.now += 61
        spent.spend(replace(old, expires_at=clock.now + 60))
        with pytest.raises(IdTokenSpentError):
            spent.spend(new)

        # Check pruning deletes exactly the expired records.
        clock.now += 61
        assert spent.prune_expired() == 2
        with pytest.raises(IdTokenSpentError):
            spent.spend(new)
        clock.now += 600
        assert spent.prune_expired() == 2
        assert spent.prune_expired() == 0

    def test_of_simultaneous_exchanges_of_one_token_exactly_one_wins(
        self, store: RelationalStore, clock: Clock
    ) -> None:
        spent = SqlSpentIdTokens(store, clock=clock)
        spent.setup()
        for _ in range(3):
            token = id_token(clock)
            assert race([partial(spent.spend, token)] * 8) == 1

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


def id_token(clock: Clock, lives: float = 300) -> VerifiedIdToken:
    """A verified ID token of its own (its nonce and signed part are new)."""
    return VerifiedIdToken(
        issuer="https://accounts.google.com",
        subject="subject-1",
        email=None,
        email_verified=False,
        given_name=None,
        family_name=None,
        nonce=uuid4().hex,
        signed_digest=uuid4().hex,
        expires_at=clock.now + lives,
    )


def race(exchanges: list[Callable[[], None]]) -> int:
    """Run ``exchanges`` in threads at once; how many were not refused.

    Anything but a success or a refusal fails the test.
    """
    start = threading.Barrier(len(exchanges))
    won: list[bool] = []
    errors: list[BaseException] = []

    def run(exchange: Callable[[], None]) -> None:
        start.wait()
        try:
            exchange()
            won.append(True)
        except IdTokenSpentError:
            won.append(False)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(each,)) for each in exchanges]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len(won) == len(exchanges)
    return sum(won)


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

    def test_instances_exchanging_one_token_at_once_let_exactly_one_win(
        self, store: RelationalStore, postgres_url: str, postgres_schema: str
    ) -> None:
        # Eight API instances, each with its own pool, race for each token.
        url = f"{postgres_url}?options=-csearch_path%3D{postgres_schema}"
        instances = [PostgresRelationalStore(url, max_connections=1) for _ in range(8)]
        try:
            clock = Clock()
            books = [SqlSpentIdTokens(each, clock=clock) for each in instances]
            books[0].setup()
            for _ in range(5):
                token = id_token(clock)
                assert race([partial(book.spend, token) for book in books]) == 1
                with store.transaction() as session:
                    rows = session.fetchall(
                        f"SELECT spent FROM {SqlSpentIdTokens.TABLE} WHERE spent = %s",
                        (f"token:{token.signed_digest}",),
                    )
                assert len(rows) == 1
        finally:
            for each in instances:
                each.close()
