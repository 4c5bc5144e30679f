"""What the onboarding query routes share: the reader, and the views each reads.

Queries decide who may see what (``queries.onboarding``); they take the signed-in
user as a ``Viewer``. A query route names the projections it reads, so a
``consistency_token`` from a command makes it wait for them (read-your-writes).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from adapters.http.auth import CurrentUserDep
from adapters.http.consistency import read_your_writes
from projections.onboarding.offerings import OFFERINGS_PROJECTION
from projections.onboarding.tables import NPOS_PROJECTION
from queries.onboarding.viewer import Viewer


async def viewer_of(user: CurrentUserDep) -> Viewer:
    return Viewer(str(user.id), frozenset(str(r) for r in user.roles))


ViewerDep = Annotated[Viewer, Depends(viewer_of)]

# Dependencies of query routes: wait for the NPO views, or for those and the
# offering documents.
FRESH_NPOS = Depends(read_your_writes(NPOS_PROJECTION))
FRESH_OFFERINGS = Depends(read_your_writes(NPOS_PROJECTION, OFFERINGS_PROJECTION))
