"""Personal fields are encrypted per person in the event store (crypto-shredding).

The ``PersonalDataMapper`` encrypts each field an event class lists in
``personal_fields`` with AES-GCM under a key that belongs to the event's data subject.
Keys live in a ``PersonalDataVault`` (their own table, never in events). Destroying a
subject's key erases them: their events still load, with personal fields read as
``domain.personal_data.ERASED``.

A stored personal value looks like ``{"_pii": "v1.<base64 nonce+ciphertext>"}``; the
associated data binds it to its subject and field, so a ciphertext cannot be moved to
another person or field.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Protocol, cast
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
    find_id_convertor,
)
from eventsourcing.utils import EnvType, resolve_topic

from commands.base import SpotlightApplication
from domain.base import GoneError
from domain.personal_data import ERASED, personal_fields_of

KEY_BYTES = 32  # AES-256
_NONCE_BYTES = 12
_ENVELOPE_FIELD = "_pii"
_ENVELOPE_VERSION = "v1."


class PersonalDataErasedError(GoneError):
    """The person was erased: no new personal data may be stored for them."""


class PersonalDataVault(Protocol):
    """Per-person data keys, stored apart from the events."""

    def key_for_encryption(self, subject_id: UUID) -> bytes:
        """The subject's key, created on first use.

        Raise ``PersonalDataErasedError`` when the subject's key was destroyed.
        """
        ...

    def key_for_decryption(self, subject_id: UUID) -> bytes | None:
        """The subject's key, or None when it was destroyed (or never existed)."""
        ...

    def destroy(self, subject_id: UUID) -> None:
        """Forget the key for good; idempotent."""
        ...


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


class CachingVault:
    """Keeps keys in process memory for a short while: loading an aggregate decrypts
    many events of one person, and the vault is a database round trip away.

    ``destroy`` forgets the key here at once; other processes forget it within
    ``ttl_seconds`` (their aggregates already read as erased from the Erased event).
    """

    def __init__(
        self,
        inner: PersonalDataVault,
        ttl_seconds: float = 30.0,
        max_keys: int = 10_000,
    ) -> None:
        self._inner = inner
        self._ttl = ttl_seconds
        self._max_keys = max_keys
        self._keys: OrderedDict[UUID, tuple[bytes | None, float]] = OrderedDict()
        self._lock = threading.Lock()

    def _cached(self, subject_id: UUID) -> tuple[bytes | None] | None:
        with self._lock:
            entry = self._keys.get(subject_id)
            if entry is None or entry[1] < time.monotonic():
                return None
            self._keys.move_to_end(subject_id)
            return (entry[0],)

    def _remember(self, subject_id: UUID, key: bytes | None) -> None:
        with self._lock:
            self._keys[subject_id] = (key, time.monotonic() + self._ttl)
            self._keys.move_to_end(subject_id)
            while len(self._keys) > self._max_keys:
                self._keys.popitem(last=False)

    def key_for_encryption(self, subject_id: UUID) -> bytes:
        cached = self._cached(subject_id)
        if cached is not None and cached[0] is not None:
            return cached[0]
        key = self._inner.key_for_encryption(subject_id)
        self._remember(subject_id, key)
        return key

    def key_for_decryption(self, subject_id: UUID) -> bytes | None:
        cached = self._cached(subject_id)
        if cached is not None:
            return cached[0]
        key = self._inner.key_for_decryption(subject_id)
        self._remember(subject_id, key)
        return key

    def destroy(self, subject_id: UUID) -> None:
        self._inner.destroy(subject_id)
        with self._lock:
            self._keys.pop(subject_id, None)


def _associated_data(subject_id: UUID, field: str) -> bytes:
    return f"{subject_id}:{field}".encode()


class PersonalDataMapper(Mapper[UUID]):
    """A ``Mapper`` that encrypts and decrypts the personal fields of events."""

    def __init__(self, *args: Any, vault: PersonalDataVault, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.vault = vault

    # -- Writing ---------------------------------------------------------------------

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        fields = personal_fields_of(type(domain_event))
        state = vars(domain_event)
        present = [f for f in fields if state.get(f) is not None]
        if not present:
            return super().to_stored_event(domain_event)
        subject_id = _subject_of(type(domain_event), state)
        aead = AESGCM(self.vault.key_for_encryption(subject_id))
        sealed = dict(state)
        for field in present:
            sealed[field] = self._seal(aead, subject_id, field, state[field])
        # Map a copy: the caller's event keeps its plain values.
        copy = object.__new__(type(domain_event))
        object.__setattr__(copy, "__dict__", sealed)
        return super().to_stored_event(copy)

    def _seal(self, aead: AESGCM, subject_id: UUID, field: str, value: Any) -> Any:
        nonce = os.urandom(_NONCE_BYTES)
        plaintext = self.transcoder.encode(value)
        ciphertext = aead.encrypt(nonce, plaintext, _associated_data(subject_id, field))
        token = base64.b64encode(nonce + ciphertext).decode()
        return {_ENVELOPE_FIELD: _ENVELOPE_VERSION + token}

    # -- Reading ---------------------------------------------------------------------

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        """As ``Mapper.to_domain_event``, opening personal fields before upcasting."""
        cls = resolve_topic(stored_event.topic)
        stored_state = stored_event.state
        try:
            if self.cipher:
                stored_state = self.cipher.decrypt(stored_state)
            if self.compressor:
                stored_state = self.compressor.decompress(stored_state)
            event_state: dict[str, Any] = self.transcoder.decode(stored_state)
        except Exception as error:
            # The message names the event only: the state may hold personal data.
            msg = (
                f"Failed to deserialise stored event {stored_event.topic} "
                f"{stored_event.originator_id} v{stored_event.originator_version}"
            )
            raise MapperDeserialisationError(msg) from error

        id_convertor = find_id_convertor(
            cls, cast(Hashable, type(stored_event.originator_id))
        )
        originator_id = id_convertor(stored_event.originator_id)
        event_state["originator_id"] = originator_id
        event_state["originator_version"] = stored_event.originator_version
        self._open_personal_fields(cls, event_state, stored_event)

        class_version = getattr(cls, "class_version", 1)
        from_version = event_state.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(event_state)
            from_version += 1

        domain_event = object.__new__(cls)
        object.__setattr__(domain_event, "__dict__", event_state)
        return cast(DomainEventProtocol[UUID], domain_event)

    def _open_personal_fields(
        self, cls: type[Any], state: dict[str, Any], stored_event: StoredEvent
    ) -> None:
        sealed = [f for f in state if _is_envelope(state[f])]
        if not sealed:
            return
        subject_id = _subject_of(cls, state)
        key = self.vault.key_for_decryption(subject_id)
        if key is None:
            for field in sealed:
                state[field] = ERASED
            return
        aead = AESGCM(key)
        for field in sealed:
            token = state[field][_ENVELOPE_FIELD][len(_ENVELOPE_VERSION) :]
            raw = base64.b64decode(token)
            try:
                plaintext = aead.decrypt(
                    raw[:_NONCE_BYTES],
                    raw[_NONCE_BYTES:],
                    _associated_data(subject_id, field),
                )
            except InvalidTag as error:
                msg = (
                    f"Personal field {field!r} of {stored_event.topic} "
                    f"{stored_event.originator_id} v{stored_event.originator_version} "
                    "does not decrypt: wrong key or tampered"
                )
                raise MapperDeserialisationError(msg) from error
            state[field] = self.transcoder.decode(plaintext)


def _is_envelope(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and len(value) == 1
        and isinstance(value.get(_ENVELOPE_FIELD), str)
        and value[_ENVELOPE_FIELD].startswith(_ENVELOPE_VERSION)
    )


def _subject_of(event_class: type[Any], state: dict[str, Any]) -> UUID:
    field: str | None = getattr(event_class, "personal_data_subject_field", None)
    subject = state[field] if field else state["originator_id"]
    return subject if isinstance(subject, UUID) else UUID(str(subject))


class PersonalDataApplication(SpotlightApplication):
    """An application whose events may hold personal data, sealed per person.

    The composition root gives every such application the vault.
    """

    def __init__(self, env: EnvType | None = None, *, vault: PersonalDataVault) -> None:
        # Set before the base constructor builds the mapper that needs it.
        self.vault = vault
        super().__init__(env=env)

    def construct_mapper(self) -> PersonalDataMapper:
        plain: Mapper[UUID] = self.factory.mapper(
            transcoder=self.construct_transcoder()
        )
        return PersonalDataMapper(
            transcoder=plain.transcoder,
            compressor=plain.compressor,
            cipher=plain.cipher,
            vault=self.vault,
        )
