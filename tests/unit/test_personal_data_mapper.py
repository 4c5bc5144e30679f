"""The mapper seals personal fields per person; destroying the key erases them."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import uuid4

import pytest
from eventsourcing.persistence import MapperDeserialisationError, StoredEvent

from adapters.embedded.views import SqliteRelationalStore
from adapters.identity.data_keys import SqlPersonalDataVault
from commands.identity.application import IdentityApplication
from commands.personal_data import CachingVault, PersonalDataErasedError
from domain.base import acting_as
from domain.identity.user import User
from domain.identity.values import LinkedIdentity
from domain.personal_data import ERASED
from tests.support.identity import identity_application


@pytest.fixture
def vault() -> SqlPersonalDataVault:
    return SqlPersonalDataVault(SqliteRelationalStore(None))


@pytest.fixture
def app(vault: SqlPersonalDataVault) -> Iterator[IdentityApplication]:
    application = identity_application(vault=vault)
    yield application
    application.close()


def registered_user() -> User:
    with acting_as("system", "test"):
        return User.register(
            uuid4(),
            LinkedIdentity("https://accounts.google.com", "google-subject-42"),
            email="grace@example.org",
            email_verified=True,
            first_name="Grace",
            last_name="Hopper",
        )


def test_stored_state_holds_no_personal_value_in_clear(
    app: IdentityApplication,
) -> None:
    user = registered_user()
    event = user.collect_events()[0]
    stored = app.mapper.to_stored_event(event)
    for secret in (b"grace@example.org", b"Grace", b"Hopper", b"google-subject-42"):
        assert secret not in stored.state
    # Check what is not personal stays readable for projections and operators.
    assert b"accounts.google.com" in stored.state
    # Check the caller's event keeps its plain values.
    assert event.email == "grace@example.org"  # type: ignore[attr-defined]

    loaded = app.mapper.to_domain_event(stored)
    assert loaded.email == "grace@example.org"  # type: ignore[attr-defined]
    assert loaded.first_name == "Grace"  # type: ignore[attr-defined]


def test_destroyed_key_reads_as_erased_and_refuses_new_data(
    app: IdentityApplication, vault: SqlPersonalDataVault
) -> None:
    user = registered_user()
    stored = app.mapper.to_stored_event(user.collect_events()[0])
    vault.destroy(user.id)

    loaded = app.mapper.to_domain_event(stored)
    assert loaded.email == ERASED  # type: ignore[attr-defined]
    assert loaded.subject == ERASED  # type: ignore[attr-defined]
    assert loaded.issuer == "https://accounts.google.com"  # type: ignore[attr-defined]
    with pytest.raises(PersonalDataErasedError):
        vault.key_for_encryption(user.id)


def test_a_ciphertext_moved_to_another_person_or_field_does_not_open(
    app: IdentityApplication,
) -> None:
    first, second = registered_user(), registered_user()
    one = app.mapper.to_stored_event(first.collect_events()[0])
    two = app.mapper.to_stored_event(second.collect_events()[0])
    # Graft the first person's sealed email into the second person's event.
    transcoder = app.mapper.transcoder
    state_one, state_two = transcoder.decode(one.state), transcoder.decode(two.state)
    state_two["email"] = state_one["email"]
    grafted = StoredEvent(
        originator_id=two.originator_id,
        originator_version=two.originator_version,
        topic=two.topic,
        state=transcoder.encode(state_two),
    )
    with pytest.raises(MapperDeserialisationError, match="tampered"):
        app.mapper.to_domain_event(grafted)
    # And within one person, a value moved to another field does not open either.
    state_one["first_name"] = state_one["last_name"]
    swapped = StoredEvent(
        originator_id=one.originator_id,
        originator_version=one.originator_version,
        topic=one.topic,
        state=transcoder.encode(state_one),
    )
    with pytest.raises(MapperDeserialisationError):
        app.mapper.to_domain_event(swapped)


def test_the_caching_vault_forgets_a_destroyed_key_at_once(
    vault: SqlPersonalDataVault,
) -> None:
    caching = CachingVault(vault, ttl_seconds=60)
    subject = uuid4()
    key = caching.key_for_encryption(subject)
    assert caching.key_for_decryption(subject) == key
    caching.destroy(subject)
    assert caching.key_for_decryption(subject) is None
