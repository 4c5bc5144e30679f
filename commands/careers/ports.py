"""What the careers context needs from outside it, as Protocols.

The composition root (``adapters.bootstrap``) implements them over other contexts
and injects them into ``CareersApplication``, so careers imports nothing of those
contexts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from domain.careers.roadmap_items import ItemSpec


class UserDirectory(Protocol):
    """Who a user is, as far as careers cares: the roles they hold now."""

    def roles_of(self, user_id: str) -> frozenset[str] | None:
        """The user's roles; None when there is no such active user."""
        ...


class NoUsers:
    """A directory that knows nobody (until the composition root gives a real one)."""

    def roles_of(self, user_id: str) -> frozenset[str] | None:
        return None


class VisibleOfferings(Protocol):
    """Which offerings a candidate may be pointed to now: published offerings of
    approved NPOs (the search view knows)."""

    def visible(self, offering_ids: Sequence[str]) -> frozenset[str]:
        """The visible ones among ``offering_ids``."""
        ...

    def roadmap_item(self, offering_id: str) -> ItemSpec | None:
        """A visible offering as a roadmap item, as it is now (``ItemSpec.offering``:
        its id, version, NPO, title, modules and deadlines); None if not visible."""
        ...


class NoOfferings:
    """Knows no offering (until the composition root gives the search view)."""

    def visible(self, offering_ids: Sequence[str]) -> frozenset[str]:
        return frozenset()

    def roadmap_item(self, offering_id: str) -> ItemSpec | None:
        return None
