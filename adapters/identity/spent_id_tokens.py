"""ID tokens already exchanged at sign-in: each one is exchanged once.

An ID token stands for one sign-in at its provider. ``spend`` records it, by its
issuer and the digest of its signed part, and its nonce beside it (a provider's
second token for the same nonce is a replay too), in an insert-once table: a second
exchange finds them there and is refused, and of two exchanges at the same moment
the primary key lets exactly one win. A row is kept until the token could no longer
be verified anyway; then it may be taken again, and ``prune_expired`` deletes it.
"""

from __future__ import annotations

import hashlib

from adapters.identity.tables import FLOAT, IdentityTable
from adapters.oidc.verifier import IdTokenError, VerifiedIdToken
from ports.relational import SqlSession


class IdTokenSpentError(IdTokenError):
    """The ID token (or its nonce) was exchanged before."""


class SqlSpentIdTokens(IdentityTable):
    TABLE = "identity_spent_id_tokens"

    def schema(self, session: SqlSession) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self.TABLE} ("
            "issuer TEXT NOT NULL, "
            "spent TEXT NOT NULL, "
            f"expires_at {FLOAT[session.dialect]} NOT NULL, "
            "PRIMARY KEY (issuer, spent))",
            f"CREATE INDEX IF NOT EXISTS {self.TABLE}_expiry "
            f"ON {self.TABLE} (expires_at)",
        ]

    def spend(self, token: VerifiedIdToken) -> None:
        """Record ``token`` as exchanged, or refuse it if it was (401)."""
        self.setup()
        nonce = hashlib.sha256(token.nonce.encode()).hexdigest()
        spent = (f"token:{token.signed_digest}", f"nonce:{nonce}")
        with self._store.transaction() as session:
            for each in spent:
                # Insert once; a row left behind by an expired token is taken over.
                taken = session.fetchone(
                    f"INSERT INTO {self.TABLE} (issuer, spent, expires_at) "
                    "VALUES (%s, %s, %s) "
                    "ON CONFLICT (issuer, spent) DO UPDATE "
                    "SET expires_at = excluded.expires_at "
                    f"WHERE {self.TABLE}.expires_at <= %s "
                    "RETURNING 1",
                    (token.issuer, each, token.expires_at, self._clock()),
                )
                if taken is None:  # rolls back what this exchange recorded
                    raise IdTokenSpentError(
                        "This ID token has already been exchanged; sign in at the "
                        "provider again for a new one (with a new nonce)."
                    )

    def prune_expired(self) -> int:
        """Delete the records of tokens that no longer verify; returns how many."""
        self.setup()
        with self._store.transaction() as session:
            rows = session.fetchall(
                f"DELETE FROM {self.TABLE} WHERE expires_at <= %s RETURNING 1",
                (self._clock(),),
            )
        return len(rows)
