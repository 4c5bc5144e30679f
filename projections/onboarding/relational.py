"""The onboarding context's relational projection, ``onboarding_npos``.

One projection keeps every onboarding table (PostgreSQL; SQLite when embedded), so a
batch changes them together with its tracked position in one transaction (exactly
once). Its tables come in groups, each in its own module with its DDL, the events it
applies and its typed reader: ``npos`` (NPOs, members, the offering → NPO mapping,
placements), ``communities`` (communities, leaders, queues) and ``platform``
(categories, default caps).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from ports.relational import SqlSession
from projections.contracts import ProjectedEvent, Projection, ViewNames, ViewPorts
from projections.onboarding.communities import CommunityTables
from projections.onboarding.npos import NpoTables
from projections.onboarding.platform import PlatformTables
from projections.onboarding.tables import NPOS_PROJECTION, TableGroup

GROUPS: tuple[type[TableGroup], ...] = (NpoTables, CommunityTables, PlatformTables)


class NposView(Projection):
    name = NPOS_PROJECTION
    sources: ClassVar[tuple[str, ...]] = ("onboarding",)

    def __init__(self, names: ViewNames, ports: ViewPorts) -> None:
        super().__init__(names, ports)
        self.groups = [group(names) for group in GROUPS]
        self._appliers = {
            event_name: (group, apply)
            for group in self.groups
            for event_name, apply in group.handlers.items()
        }

    def setup(self, session: SqlSession) -> None:
        for group in self.groups:
            group.setup(session)

    def drop(self, session: SqlSession) -> None:
        for group in self.groups:
            group.drop(session)

    def apply(self, session: SqlSession, events: Sequence[ProjectedEvent]) -> None:
        for item in events:
            found = self._appliers.get(item.topic.rpartition(":")[2])
            if found is not None:
                group, apply = found
                apply(group, session, item)
