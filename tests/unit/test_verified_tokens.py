"""Verified access tokens, remembered until they expire: one signature check each."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import uuid4

import anyio
import jwt
import pytest

from adapters.embedded.views import SqliteRelationalStore
from adapters.identity.signing_keys import SqlSigningKeys
from adapters.identity.tokens import AccessClaims, AccessTokens, InvalidAccessTokenError
from adapters.identity.verified_tokens import VerifiedTokens
from domain.identity.values import Role

TTL = 900
LEEWAY = 30


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


class CountingTokens(AccessTokens):
    """The access tokens, counting the signatures they check."""

    checked = 0

    def verify(self, token: str) -> AccessClaims:
        self.checked += 1
        return super().verify(token)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tokens(clock: Clock) -> Iterator[CountingTokens]:
    store = SqliteRelationalStore(None)
    keys = SqlSigningKeys(store, retention_seconds=TTL + 300, clock=clock)
    yield CountingTokens(
        keys,
        issuer="https://spotlight.test",
        ttl_seconds=TTL,
        leeway_seconds=LEEWAY,
        clock=clock,
    )
    store.close()


def verify(verified: VerifiedTokens, token: str) -> AccessClaims:
    async def run() -> AccessClaims:
        return await verified.verify(token)

    return anyio.run(run)


def test_a_token_is_checked_once_then_remembered(
    tokens: CountingTokens, clock: Clock
) -> None:
    verified = VerifiedTokens(tokens, clock=clock)
    user = uuid4()
    token = tokens.issue(user, [Role.CANDIDATE]).token

    first = verify(verified, token)
    assert first.user_id == user
    assert first.roles == frozenset({Role.CANDIDATE})
    assert first.expires_at == clock.now + TTL
    # Check the next requests cost no signature check, and answer the same claims.
    for _ in range(3):
        clock.now += 60
        assert verify(verified, token) == first
    assert tokens.checked == 1
    assert (verified.verified, verified.remembered) == (1, 3)


def test_an_expired_token_is_refused_though_it_was_remembered(
    tokens: CountingTokens, clock: Clock
) -> None:
    verified = VerifiedTokens(tokens, clock=clock)
    token = tokens.issue(uuid4(), []).token
    verify(verified, token)

    # Check the entry ends at the token's exp: then the token is verified afresh
    # (its leeway still lets it in, as it would without the cache).
    clock.now += TTL
    verify(verified, token)
    assert tokens.checked == 2
    # Check past its leeway it is refused, every time: nothing remembered it.
    clock.now += LEEWAY + 1
    for _ in range(2):
        with pytest.raises(InvalidAccessTokenError, match="expired"):
            verify(verified, token)
    assert tokens.checked == 4
    assert len(verified) == 0


def test_a_refused_token_is_never_remembered(
    tokens: CountingTokens, clock: Clock
) -> None:
    verified = VerifiedTokens(tokens, clock=clock)
    genuine = tokens.issue(uuid4(), []).token
    claims = jwt.decode(genuine, options={"verify_signature": False})
    forged = jwt.encode(
        {**claims, "roles": ["ADMIN"]},
        "a secret that is not the platform's signing key",
        algorithm="HS256",
        headers={"kid": jwt.get_unverified_header(genuine)["kid"]},
    )
    for _ in range(2):
        with pytest.raises(InvalidAccessTokenError):
            verify(verified, forged)
    # Check a token differing from a remembered one in its signature alone is
    # checked, and refused.
    verify(verified, genuine)
    head, body, signature = genuine.split(".")
    flipped = "B" if signature[10] == "A" else "A"
    tampered = f"{head}.{body}.{signature[:10]}{flipped}{signature[11:]}"
    with pytest.raises(InvalidAccessTokenError):
        verify(verified, tampered)
    assert tokens.checked == 4
    assert len(verified) == 1


def test_the_cache_is_bounded_and_forgets_the_least_recently_used(
    tokens: CountingTokens, clock: Clock
) -> None:
    verified = VerifiedTokens(tokens, max_entries=3, clock=clock)
    issued = [tokens.issue(uuid4(), []).token for _ in range(5)]
    for token in issued[:3]:
        verify(verified, token)
    verify(verified, issued[0])  # used again: now the most recent
    for token in issued[3:]:
        verify(verified, token)
    assert len(verified) == 3
    assert tokens.checked == 5

    # Check the first token (used recently) is still remembered; the second and
    # third (the least recently used) were forgotten and are checked again.
    verify(verified, issued[0])
    assert tokens.checked == 5
    verify(verified, issued[1])
    assert tokens.checked == 6
    assert len(verified) == 3


def test_a_size_of_zero_checks_every_time(tokens: CountingTokens, clock: Clock) -> None:
    verified = VerifiedTokens(tokens, max_entries=0, clock=clock)
    token = tokens.issue(uuid4(), []).token
    for _ in range(3):
        verify(verified, token)
    assert tokens.checked == 3
    assert len(verified) == 0
