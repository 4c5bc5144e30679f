"""User ids in the export are keyed pseudonyms that erasure unlinks for good.

A person's pseudonym is ``u_`` and 24 hex digits of HMAC-SHA256 over their user id,
keyed by a key derived (HKDF-SHA256, RFC 5869) from *their* personal-data key, the
one the vault destroys when they are erased. While the person lives, the pseudonym
is the same in every run; once their key is gone, nobody (the platform included)
can compute it again, so the exported rows can no longer be linked to them.

A user id without a data key (never had one, or erased) gets a pseudonym keyed by
a random key of the run (``Pseudonyms.run_key``): consistent within that run,
unlinkable afterwards.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping

PREFIX = "u_"
HEX_DIGITS = 24
_INFO = b"spotlight analytics pseudonym v1"
_SALT = b"spotlight-analytics"


def pseudonym_key(data_key: bytes) -> bytes:
    """HKDF-SHA256 (one block) of a person's data key: their pseudonym's key."""
    prk = hmac.new(_SALT, data_key, hashlib.sha256).digest()
    return hmac.new(prk, _INFO + b"\x01", hashlib.sha256).digest()


def keyed_pseudonym(user_id: str, key: bytes) -> str:
    digest = hmac.new(key, user_id.encode(), hashlib.sha256).hexdigest()
    return PREFIX + digest[:HEX_DIGITS]


def pseudonym_of(user_id: str, data_key: bytes) -> str:
    """The pseudonym of ``user_id`` whose personal-data key is ``data_key``."""
    return keyed_pseudonym(user_id, pseudonym_key(data_key))


class Pseudonyms:
    """Pseudonyms of one run: every user id known up front, others on demand.

    ``data_keys`` maps each user id (text) to their data key, or None when they have
    none. ``substitutions`` maps every user id to its pseudonym: the export replaces
    any value found in it.
    """

    def __init__(
        self, data_keys: Mapping[str, bytes | None], run_key: bytes | None = None
    ) -> None:
        self.run_key = run_key or os.urandom(32)
        self.substitutions: dict[str, str] = {
            user_id: (
                pseudonym_of(user_id, key)
                if key is not None
                else keyed_pseudonym(user_id, self.run_key)
            )
            for user_id, key in data_keys.items()
        }

    def of(self, user_id: str) -> str:
        """The pseudonym of any id (one not known up front is keyed by the run)."""
        found = self.substitutions.get(user_id)
        if found is None:
            found = keyed_pseudonym(user_id, self.run_key)
            self.substitutions[user_id] = found
        return found
