"""The platform settings' tables (``Catalogue`` and ``OnboardingPolicy`` events) and
their typed reader.

- ``onb_categories``: the offering categories (the defaults until an admin adds).
- ``onb_policy``: the default caps, one row (the defaults until an admin changes).
"""

# Table names come from ViewNames (code), never from input; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from domain.onboarding.catalogue import DEFAULT_CATEGORIES
from domain.onboarding.onboarding_policy import (
    DEFAULT_COMMUNITIES_PER_LEADER,
    DEFAULT_LEADER_NPO_CAP,
)
from ports.relational import RelationalStore, SqlSession
from projections.contracts import ProjectedEvent, ViewNames
from projections.engine import live_names
from projections.onboarding.tables import NPOS_PROJECTION, Table, TableGroup, field

CATEGORIES = Table(
    "onb_categories", (("slug", "TEXT PRIMARY KEY"), ("label", "TEXT NOT NULL"))
)
POLICY = Table(
    "onb_policy",
    (
        ("id", "INTEGER PRIMARY KEY"),
        ("leader_npo_cap", "INTEGER NOT NULL"),
        ("communities_per_leader", "INTEGER NOT NULL"),
    ),
)


class PlatformTables(TableGroup):
    """How ``Catalogue`` and ``OnboardingPolicy`` events change the settings."""

    tables = (CATEGORIES, POLICY)

    def seed(self, session: SqlSession) -> None:
        # The defaults hold until an admin changes them.
        session.executemany(
            f"INSERT INTO {self.t('onb_categories')} (slug, label) VALUES (%s, %s) "
            "ON CONFLICT (slug) DO NOTHING",
            list(DEFAULT_CATEGORIES.items()),
        )
        session.execute(
            f"INSERT INTO {self.t('onb_policy')} (id, leader_npo_cap, "
            "communities_per_leader) VALUES (1, %s, %s) ON CONFLICT (id) DO NOTHING",
            (DEFAULT_LEADER_NPO_CAP, DEFAULT_COMMUNITIES_PER_LEADER),
        )

    def catalogue_started(self, session: SqlSession, item: ProjectedEvent) -> None:
        categories: dict[str, str] = field(item, "categories")
        self._categories(session, categories)

    def category_added(self, session: SqlSession, item: ProjectedEvent) -> None:
        self._categories(session, {field(item, "slug"): field(item, "label")})

    def _categories(self, session: SqlSession, categories: dict[str, str]) -> None:
        session.executemany(
            f"INSERT INTO {self.t('onb_categories')} (slug, label) VALUES (%s, %s) "
            "ON CONFLICT (slug) DO UPDATE SET label = excluded.label",
            list(categories.items()),
        )

    def policy(self, session: SqlSession, item: ProjectedEvent) -> None:
        session.execute(
            f"UPDATE {self.t('onb_policy')} SET leader_npo_cap = %s, "
            "communities_per_leader = %s WHERE id = 1",
            (field(item, "leader_npo_cap"), field(item, "communities_per_leader")),
        )

    handlers: ClassVar = {
        "Catalogue.Started": catalogue_started,
        "Catalogue.CategoryAdded": category_added,
        "OnboardingPolicy.Started": policy,
        "OnboardingPolicy.Changed": policy,
    }


@dataclass(frozen=True)
class PolicyRow:
    """The platform's default caps."""

    leader_npo_cap: int
    communities_per_leader: int


def read_policy(session: SqlSession, names: ViewNames) -> PolicyRow:
    found = session.fetchone(
        f"SELECT {POLICY.select(names)} FROM {names.table(POLICY.base)} WHERE id = 1"
    )
    assert found is not None  # the row is made with the table
    values = POLICY.record(found)
    return PolicyRow(
        int(values["leader_npo_cap"]), int(values["communities_per_leader"])
    )


class PlatformReader:
    """Typed reads of the platform settings."""

    def __init__(self, views: RelationalStore) -> None:
        self._views = views

    def policy(self) -> PolicyRow:
        with self._views.transaction() as session:
            return read_policy(session, live_names(session, NPOS_PROJECTION))

    def categories(self) -> dict[str, str]:
        """Label by slug, in slug order."""
        with self._views.transaction() as session:
            names = live_names(session, NPOS_PROJECTION)
            rows = session.fetchall(
                f"SELECT {CATEGORIES.select(names)} "
                f"FROM {names.table(CATEGORIES.base)} ORDER BY slug"
            )
        return {str(r["slug"]): str(r["label"]) for r in map(CATEGORIES.record, rows)}
