"""What the careers routes share: who may call them, and the views each reads.

A query route names the projections it reads, so a ``consistency_token`` from a
command makes it wait for them (read-your-writes), once the caller is let in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends

from adapters.http.auth import CurrentUser, CurrentUserDep, forbidden
from adapters.http.consistency import read_your_writes
from domain.careers.values import ROLE_ADMIN, ROLE_CANDIDATE, ROLE_CAREER_MENTOR
from projections.careers.candidates import CANDIDATES_PROJECTION


def holding(*roles: str) -> Callable[[CurrentUser], Awaitable[CurrentUser]]:
    """A dependency admitting users who hold any of ``roles`` (403 otherwise)."""
    allowed = frozenset(roles)

    async def check(user: CurrentUserDep) -> CurrentUser:
        if not {str(r) for r in user.roles} & allowed:
            raise forbidden()
        return user

    return check


only_candidates = holding(ROLE_CANDIDATE)
# Admins see any candidate; a mentor only their mentees (checked by the query).
admins_or_mentors = holding(ROLE_ADMIN, ROLE_CAREER_MENTOR)

CandidateDep = Annotated[CurrentUser, Depends(only_candidates)]
AdminOrMentorDep = Annotated[CurrentUser, Depends(admins_or_mentors)]

FRESH_OWN_RECORD = Depends(
    read_your_writes(CANDIDATES_PROJECTION, authorized_by=only_candidates)
)
FRESH_CANDIDATES = Depends(
    read_your_writes(CANDIDATES_PROJECTION, authorized_by=admins_or_mentors)
)
