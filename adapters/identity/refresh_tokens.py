"""Refresh tokens: stored as digests, rotated on use, revoked all at once."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from uuid import UUID, uuid4

from adapters.identity.tables import FLOAT, Clock, IdentityTable
from ports.relational import RelationalStore, SqlSession


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


class SqlRefreshTokens(IdentityTable):
    """Opaque refresh tokens, stored hashed, rotated on every use.

    A token belongs to a *family* (one sign-in). Using a token revokes it and issues
    its successor; presenting an already-used token again means it was copied, so the
    whole family is revoked.
    """

    TABLE = "identity_refresh_tokens"

    def __init__(
        self, store: RelationalStore, ttl_seconds: int, clock: Clock = time.time
    ) -> None:
        super().__init__(store, clock)
        self._ttl = ttl_seconds

    def schema(self, session: SqlSession) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self.TABLE} ("
            "token_hash TEXT PRIMARY KEY, "
            "user_id TEXT NOT NULL, "
            "family_id TEXT NOT NULL, "
            f"issued_at {FLOAT[session.dialect]} NOT NULL, "
            f"expires_at {FLOAT[session.dialect]} NOT NULL, "
            f"revoked_at {FLOAT[session.dialect]})",
            f"CREATE INDEX IF NOT EXISTS {self.TABLE}_user ON {self.TABLE} (user_id)",
            f"CREATE INDEX IF NOT EXISTS {self.TABLE}_family "
            f"ON {self.TABLE} (family_id)",
        ]

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
