"""Access tokens already verified, remembered until they expire.

Verifying an access token (an ES256 signature, its claims) is the costliest step of
an authenticated request, and a client sends the same token until it expires. So
each process remembers the claims of the tokens it verified, keyed by the token's
SHA-256 digest, at most ``max_entries`` of them (the least recently used go first),
each only until the token's ``exp``: after that the token is verified afresh, and
refused. A token that fails verification is never remembered.

Only the verification is remembered. What can revoke a valid token — the user
disabled or erased, a role granted or revoked — is read from the user cache on every
request, after this (``adapters.http.auth``).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

import anyio.to_thread

from adapters.identity.tokens import AccessClaims, AccessTokens

DEFAULT_MAX_ENTRIES = 10_000


class VerifiedTokens:
    def __init__(
        self,
        tokens: AccessTokens,
        *,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._tokens = tokens
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[bytes, AccessClaims] = OrderedDict()
        self._lock = threading.Lock()
        # Counted for tests and the benchmark: signatures checked, answers remembered.
        self.verified = 0
        self.remembered = 0

    def __len__(self) -> int:
        return len(self._entries)

    async def verify(self, token: str) -> AccessClaims:
        """The token's claims, or ``InvalidAccessTokenError``; a token seen before
        and not yet expired costs a dictionary look-up."""
        digest = hashlib.sha256(token.encode()).digest()
        claims = self._remembered(digest)
        if claims is not None:
            return claims
        # Finding the signing key may read the key table (now and then): a thread.
        claims = await anyio.to_thread.run_sync(self._tokens.verify, token)
        self._remember(digest, claims)
        return claims

    def _remembered(self, digest: bytes) -> AccessClaims | None:
        with self._lock:
            claims = self._entries.get(digest)
            if claims is None:
                return None
            if self._clock() >= claims.expires_at:
                del self._entries[digest]
                return None
            self._entries.move_to_end(digest)
            self.remembered += 1
            return claims

    def _remember(self, digest: bytes, claims: AccessClaims) -> None:
        with self._lock:
            self.verified += 1
            if self._max <= 0 or self._clock() >= claims.expires_at:
                return
            self._entries[digest] = claims
            self._entries.move_to_end(digest)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
