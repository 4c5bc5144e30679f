"""Access-token signing keys: ES256 keys with ids, rotated without signing out."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from adapters.identity.tables import FLOAT, Clock, IdentityTable
from ports.relational import RelationalStore, SqlSession


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


class SqlSigningKeys(IdentityTable):
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
        super().__init__(store, clock)
        self._retention = retention_seconds
        self._reload_seconds = reload_seconds
        self._keys: list[SigningKey] = []
        self._loaded_at = float("-inf")
        self._lock = threading.Lock()

    def schema(self, session: SqlSession) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self.TABLE} ("
            "kid TEXT PRIMARY KEY, "
            "private_key_pem TEXT NOT NULL, "
            f"created_at {FLOAT[session.dialect]} NOT NULL, "
            f"retired_at {FLOAT[session.dialect]})"
        ]

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
