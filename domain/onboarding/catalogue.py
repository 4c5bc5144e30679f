"""The offering categories (#2): the ten of the seed, and those admins add.

A singleton with a fixed id. Until an admin first adds a category it does not exist
in the store, and the ten defaults apply.

Lifecycle: started with the defaults on the first change; an admin adds a category
or relabels one (adding the same label again changes nothing).
"""

from __future__ import annotations

from collections.abc import Collection
from uuid import uuid5

from eventsourcing.domain import event

from domain.base import NotAllowedError, SpotlightAggregate
from domain.onboarding import values as v
from domain.tagging import CATEGORIES_OF_NEED
from domain.text import NAME

# The categories of #2 (``domain.tagging``); admins may add more.
DEFAULT_CATEGORIES: dict[str, str] = dict(CATEGORIES_OF_NEED)


class Catalogue(SpotlightAggregate):
    """The offering categories: the ten of #2, and those admins add."""

    ID = uuid5(v.ONBOARDING_NAMESPACE, "catalogue")

    class Started(SpotlightAggregate.Created):
        categories: dict[str, str]

    @event(Started)
    def __init__(self, *, categories: dict[str, str]) -> None:
        self.categories = dict(categories)

    @classmethod
    def start(cls) -> Catalogue:
        catalogue: Catalogue = cls._create(
            cls.Started, id=cls.ID, categories=dict(DEFAULT_CATEGORIES)
        )
        return catalogue

    class CategoryAdded(SpotlightAggregate.Event):
        slug: str
        label: str

    def add_category(self, actor_roles: Collection[str], slug: str, label: str) -> None:
        if v.ROLE_ADMIN not in actor_roles:
            raise NotAllowedError("Only an admin changes platform settings.")
        key = v.slug(slug, "slug")
        text = NAME.required(label, "label")
        if self.categories.get(key) != text:
            self._add_category(slug=key, label=text)

    @event(CategoryAdded)
    def _add_category(self, slug: str, label: str) -> None:
        self.categories[slug] = label
