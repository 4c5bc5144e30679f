"""What the onboarding query routes share: the reader, and the views each reads.

Queries decide who may see what (``queries.onboarding``); they take the signed-in
user as a ``Viewer``. A query route names the projections it reads, so a
``consistency_token`` from a command makes it wait for them (read-your-writes).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from adapters.http.auth import (
    CurrentUserDep,
    current_user,
    only_admins,
    only_leaders,
)
from adapters.http.consistency import read_your_writes
from projections.onboarding.offerings import OFFERINGS_PROJECTION
from projections.onboarding.tables import NPOS_PROJECTION
from queries.onboarding.viewer import Viewer


async def viewer_of(user: CurrentUserDep) -> Viewer:
    return Viewer(str(user.id), frozenset(str(r) for r in user.roles))


ViewerDep = Annotated[Viewer, Depends(viewer_of)]

# Dependencies of query routes: wait for the NPO views, or for those and the
# offering documents, once the caller is signed in (admin- and leader-only routes:
# once their role is checked).
FRESH_NPOS = Depends(read_your_writes(NPOS_PROJECTION, authorized_by=current_user))
FRESH_OFFERINGS = Depends(
    read_your_writes(NPOS_PROJECTION, OFFERINGS_PROJECTION, authorized_by=current_user)
)
FRESH_NPOS_FOR_ADMINS = Depends(
    read_your_writes(NPOS_PROJECTION, authorized_by=only_admins)
)
FRESH_NPOS_FOR_LEADERS = Depends(
    read_your_writes(NPOS_PROJECTION, authorized_by=only_leaders)
)
