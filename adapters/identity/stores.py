"""Identity's own tables: personal-data keys, refresh tokens, token-signing keys.

One SQL implementation over ``RelationalStore`` serves both dialects: PostgreSQL in
real mode, SQLite (a file under ``data_dir``, or memory) when embedded. None of these
belong in the event store: keys must be destroyable and tokens churn.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from commands.personal_data import PersonalDataErasedError, new_data_key
from ports.relational import RelationalStore, SqlSession

Clock = Callable[[], float]

_BINARY = {"postgres": "BYTEA", "sqlite": "BLOB"}
_FLOAT = {"postgres": "DOUBLE PRECISION", "sqlite": "REAL"}


def _bytes(value: Any) -> bytes:
    return bytes(value)  # psycopg answers memoryview, SQLite bytes


_SETUP_LOCK = threading.Lock()


def _create_tables(
    store: RelationalStore, statements: Callable[[SqlSession], list[str]]
) -> None:
    """Run idempotent DDL once per process, surviving a race with another process.

    PostgreSQL's ``CREATE TABLE IF NOT EXISTS`` can still fail when two sessions
    create the same table at once; the second attempt then finds it there.
    """
    with _SETUP_LOCK:
        for attempt in (1, 2):
            try:
                with store.transaction() as session:
                    for statement in statements(session):
                        session.execute(statement)
                return
            except Exception:
                if attempt == 2:
                    raise


# --- Personal-data keys -------------------------------------------------------------


class SqlPersonalDataVault:
    """One AES key per person; destroying it leaves a tombstone row (no key).

    The tombstone refuses new keys for an erased person. On PostgreSQL the old row
    version lingers until VACUUM (autovacuum, or an operator's ``VACUUM``).
    """

    TABLE = "personal_data_keys"

    def __init__(self, store: RelationalStore, clock: Clock = time.time) -> None:
        self._store = store
        self._clock = clock
        self._ready = False

    def setup(self) -> None:
        if self._ready:
            return
        _create_tables(
            self._store,
            lambda session: [
                f"CREATE TABLE IF NOT EXISTS {self.TABLE} ("
                "subject_id TEXT PRIMARY KEY, "
                f"data_key {_BINARY[session.dialect]}, "
                f"created_at {_FLOAT[session.dialect]} NOT NULL, "
                f"destroyed_at {_FLOAT[session.dialect]})"
            ],
        )
        self._ready = True

    def key_for_encryption(self, subject_id: UUID) -> bytes:
        self.setup()
        with self._store.transaction() as session:
            session.execute(
                f"INSERT INTO {self.TABLE} (subject_id, data_key, created_at) "
                "VALUES (%s, %s, %s) ON CONFLICT (subject_id) DO NOTHING",
                (str(subject_id), new_data_key(), self._clock()),
            )
            row = session.fetchone(
                f"SELECT data_key FROM {self.TABLE} WHERE subject_id = %s",
                (str(subject_id),),
            )
        if row is None or row[0] is None:
            raise PersonalDataErasedError("This person's data was erased.")
        return _bytes(row[0])

    def key_for_decryption(self, subject_id: UUID) -> bytes | None:
        self.setup()
        with self._store.transaction() as session:
            row = session.fetchone(
                f"SELECT data_key FROM {self.TABLE} WHERE subject_id = %s",
                (str(subject_id),),
            )
        return _bytes(row[0]) if row is not None and row[0] is not None else None

    def destroy(self, subject_id: UUID) -> None:
        self.setup()
        now = self._clock()
        with self._store.transaction() as session:
            session.execute(
                f"INSERT INTO {self.TABLE} "
                "(subject_id, data_key, created_at, destroyed_at) "
                "VALUES (%s, NULL, %s, %s) ON CONFLICT (subject_id) DO UPDATE "
                "SET data_key = NULL, destroyed_at = excluded.destroyed_at",
                (str(subject_id), now, now),
            )


# --- Refresh tokens -----------------------------------------------------------------


class InvalidRefreshTokenError(Exception):
    """Unknown, expired, revoked or reused refresh token."""


@dataclass(frozen=True)
class IssuedRefreshToken:
    token: str
    user_id: UUID
    expires_in: int


def _token_hash(token: str) -> str:
    # Tokens are 256 random bits: a plain hash is enough to make a stolen table useless.
    return hashlib.sha256(token.encode()).hexdigest()


class SqlRefreshTokens:
    """Opaque refresh tokens, stored hashed, rotated on every use.

    A token belongs to a *family* (one sign-in). Using a token revokes it and issues
    its successor; presenting an already-used token again means it was copied, so the
    whole family is revoked.
    """

    TABLE = "identity_refresh_tokens"

    def __init__(
        self, store: RelationalStore, ttl_seconds: int, clock: Clock = time.time
    ) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._clock = clock
        self._ready = False

    def setup(self) -> None:
        if self._ready:
            return
        _create_tables(
            self._store,
            lambda session: [
                f"CREATE TABLE IF NOT EXISTS {self.TABLE} ("
                "token_hash TEXT PRIMARY KEY, "
                "user_id TEXT NOT NULL, "
                "family_id TEXT NOT NULL, "
                f"issued_at {_FLOAT[session.dialect]} NOT NULL, "
                f"expires_at {_FLOAT[session.dialect]} NOT NULL, "
                f"revoked_at {_FLOAT[session.dialect]})",
                f"CREATE INDEX IF NOT EXISTS {self.TABLE}_user "
                f"ON {self.TABLE} (user_id)",
                f"CREATE INDEX IF NOT EXISTS {self.TABLE}_family "
                f"ON {self.TABLE} (family_id)",
            ],
        )
        self._ready = True

    def issue(self, user_id: UUID) -> IssuedRefreshToken:
        self.setup()
        with self._store.transaction() as session:
            return self._insert(session, user_id, uuid4().hex)

    def _insert(
        self, session: SqlSession, user_id: UUID, family_id: str
    ) -> IssuedRefreshToken:
        token = secrets.token_urlsafe(32)
        now = self._clock()
        session.execute(
            f"INSERT INTO {self.TABLE} "
            "(token_hash, user_id, family_id, issued_at, expires_at) "
            "VALUES (%s, %s, %s, %s, %s)",
            (_token_hash(token), str(user_id), family_id, now, now + self._ttl),
        )
        return IssuedRefreshToken(token, user_id, self._ttl)

    def rotate(self, token: str) -> IssuedRefreshToken:
        """Spend ``token`` and return its successor for the same user."""
        self.setup()
        now = self._clock()
        with self._store.transaction() as session:
            spent = session.fetchone(
                f"UPDATE {self.TABLE} SET revoked_at = %s "
                "WHERE token_hash = %s AND revoked_at IS NULL AND expires_at > %s "
                "RETURNING user_id, family_id",
                (now, _token_hash(token), now),
            )
            if spent is not None:
                return self._insert(session, UUID(str(spent[0])), str(spent[1]))
            reused = session.fetchone(
                f"SELECT family_id FROM {self.TABLE} "
                "WHERE token_hash = %s AND revoked_at IS NOT NULL",
                (_token_hash(token),),
            )
        if reused is not None:
            self._revoke_family(str(reused[0]))
        raise InvalidRefreshTokenError("The refresh token is not valid.")

    def user_of(self, token: str) -> UUID | None:
        """The user of a live token (for sign-out), or None."""
        self.setup()
        with self._store.transaction() as session:
            row = session.fetchone(
                f"SELECT user_id FROM {self.TABLE} "
                "WHERE token_hash = %s AND revoked_at IS NULL AND expires_at > %s",
                (_token_hash(token), self._clock()),
            )
        return UUID(str(row[0])) if row else None

    def revoke(self, token: str) -> None:
        """Sign-out: revoke the token's whole family (that sign-in, every rotation)."""
        self.setup()
        with self._store.transaction() as session:
            row = session.fetchone(
                f"SELECT family_id FROM {self.TABLE} WHERE token_hash = %s",
                (_token_hash(token),),
            )
        if row is not None:
            self._revoke_family(str(row[0]))

    def _revoke_family(self, family_id: str) -> None:
        with self._store.transaction() as session:
            session.execute(
                f"UPDATE {self.TABLE} SET revoked_at = %s "
                "WHERE family_id = %s AND revoked_at IS NULL",
                (self._clock(), family_id),
            )

    def revoke_all(self, user_id: UUID) -> None:
        """Sign out everywhere: disable, erase and role revocation call this."""
        self.setup()
        with self._store.transaction() as session:
            session.execute(
                f"UPDATE {self.TABLE} SET revoked_at = %s "
                "WHERE user_id = %s AND revoked_at IS NULL",
                (self._clock(), str(user_id)),
            )

    def prune_expired(self) -> int:
        """Delete tokens past their expiry (they can no longer be used); returns
        how many. Revoked tokens stay until they expire, for reuse detection."""
        self.setup()
        with self._store.transaction() as session:
            rows = session.fetchall(
                f"DELETE FROM {self.TABLE} WHERE expires_at < %s RETURNING 1",
                (self._clock(),),
            )
        return len(rows)

    def live_count(self, user_id: UUID) -> int:
        self.setup()
        with self._store.transaction() as session:
            row = session.fetchone(
                f"SELECT COUNT(*) FROM {self.TABLE} "
                "WHERE user_id = %s AND revoked_at IS NULL AND expires_at > %s",
                (str(user_id), self._clock()),
            )
        return int(row[0]) if row else 0


# --- Access-token signing keys ------------------------------------------------------


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: ec.EllipticCurvePrivateKey
    created_at: float
    retired_at: float | None

    def public_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = json.loads(
            ECAlgorithm.to_jwk(self.private_key.public_key())
        )
        jwk.update(kid=self.kid, use="sig", alg="ES256")
        return jwk


def _thumbprint(key: ec.EllipticCurvePrivateKey) -> str:
    """RFC 7638 thumbprint of the public key: a stable, content-derived key id."""
    jwk = json.loads(ECAlgorithm.to_jwk(key.public_key()))
    canonical = json.dumps(
        {k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":")
    )
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class SqlSigningKeys:
    """ES256 keys that sign the platform's access tokens.

    The newest unretired key signs. ``rotate`` makes a new key and retires the old
    one, which stays in the JWKS for ``retention_seconds`` (longer than an access
    token lives), so nobody is logged out by a rotation. Every process reloads the
    set now and then, and at once when it sees a key id it does not know.
    """

    TABLE = "identity_signing_keys"

    def __init__(
        self,
        store: RelationalStore,
        retention_seconds: float,
        reload_seconds: float = 60.0,
        clock: Clock = time.time,
    ) -> None:
        self._store = store
        self._retention = retention_seconds
        self._reload_seconds = reload_seconds
        self._clock = clock
        self._keys: list[SigningKey] = []
        self._loaded_at = float("-inf")
        self._lock = threading.Lock()
        self._ready = False

    def setup(self) -> None:
        if self._ready:
            return
        _create_tables(
            self._store,
            lambda session: [
                f"CREATE TABLE IF NOT EXISTS {self.TABLE} ("
                "kid TEXT PRIMARY KEY, "
                "private_key_pem TEXT NOT NULL, "
                f"created_at {_FLOAT[session.dialect]} NOT NULL, "
                f"retired_at {_FLOAT[session.dialect]})"
            ],
        )
        self._ready = True

    def current(self) -> SigningKey:
        keys = self._fresh_keys()
        signing = [k for k in keys if k.retired_at is None]
        if signing:
            return max(signing, key=lambda k: k.created_at)
        return self.rotate()

    def find(self, kid: str) -> SigningKey | None:
        for key in self._fresh_keys():
            if key.kid == kid:
                return key
        # Maybe another process rotated: look again, at most once a second.
        if self._clock() - self._loaded_at >= 1.0:
            for key in self._load():
                if key.kid == kid:
                    return key
        return None

    def verification_keys(self) -> list[SigningKey]:
        return list(self._fresh_keys())

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.public_jwk() for k in self.verification_keys()]}

    def rotate(self) -> SigningKey:
        self.setup()
        private_key = ec.generate_private_key(ec.SECP256R1())
        pem = private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        now = self._clock()
        with self._store.transaction() as session:
            session.execute(
                f"UPDATE {self.TABLE} SET retired_at = %s WHERE retired_at IS NULL",
                (now,),
            )
            session.execute(
                f"INSERT INTO {self.TABLE} (kid, private_key_pem, created_at) "
                "VALUES (%s, %s, %s)",
                (_thumbprint(private_key), pem, now),
            )
            # Keys retired longer ago than any token lives are of no more use.
            session.execute(
                f"DELETE FROM {self.TABLE} WHERE retired_at < %s",
                (now - self._retention,),
            )
        self._load()
        return self.current()

    def _fresh_keys(self) -> list[SigningKey]:
        if self._clock() - self._loaded_at >= self._reload_seconds:
            return self._load()
        return self._keys

    def _load(self) -> list[SigningKey]:
        self.setup()
        now = self._clock()
        with self._store.transaction() as session:
            rows = session.fetchall(
                f"SELECT kid, private_key_pem, created_at, retired_at "
                f"FROM {self.TABLE} WHERE retired_at IS NULL OR retired_at >= %s",
                (now - self._retention,),
            )
        keys = []
        for kid, pem, created_at, retired_at in rows:
            private_key = serialization.load_pem_private_key(str(pem).encode(), None)
            assert isinstance(private_key, ec.EllipticCurvePrivateKey)
            keys.append(
                SigningKey(
                    str(kid),
                    private_key,
                    float(created_at),
                    None if retired_at is None else float(retired_at),
                )
            )
        with self._lock:
            self._keys = keys
            self._loaded_at = now
        return keys
