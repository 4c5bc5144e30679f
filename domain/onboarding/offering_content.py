"""What an offering says (#6, #7): its content, as one value.

The content's shape varies from one offering to another (the design keeps offerings
in a document database): besides the common fields (title, categories, tags, a rich
text description, links, deadlines, modules, where, who may come) it carries free
``attributes``. ``OfferingContent.of`` checks and normalises it once, naming the
field it refuses (``links[2].url``); the description is sanitised
(``domain.onboarding.richtext``). What depends on the offering's context is checked
by the ``Offering`` itself: that its categories are known
(``require_known_categories``) and that download modules name its resources
(``require_resources``).

Events record the content as ``to_state()``; ``from_state`` reads it back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import uuid4

from domain.base import InvalidFieldError
from domain.onboarding import values as v
from domain.onboarding.richtext import sanitise_html
from domain.text import (
    COUNTRY_CODE,
    LONG_TEXT,
    NAME,
    RICH_TEXT,
    SHORT_TEXT,
    TITLE,
    TextFormat,
)

MAX_CATEGORIES = 10
MAX_LINKS = 30
MAX_DEADLINES = 20
MAX_MODULES = 100
MAX_ATTRIBUTES = 50
MAX_ATTRIBUTE_ITEMS = 50
MODULE_ID = TextFormat("module id", "[A-Za-z0-9_\\-]{1,64}", 64, "is not a valid id")
# A resource's id as its offering made it (``Offering.start_upload``).
RESOURCE_ID = TextFormat("resource id", "[0-9a-f]{32}", 32, "is not a resource id")
ATTRIBUTE_KEY = TextFormat(
    "attribute key",
    "[a-z][a-z0-9_]{0,49}",
    50,
    "must be lower-case letters, digits and underscores, starting with a letter",
)
# A deadline: a date, or a date-time with its offset (RFC 3339).
DUE = TextFormat(
    "due",
    "[0-9]{4}-[0-9]{2}-[0-9]{2}"
    "(?:T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\\.[0-9]{1,9})?(?:Z|[+\\-][0-9]{2}:[0-9]{2}))?",
    40,
    "must be an ISO date (YYYY-MM-DD) or a date-time with its offset",
)
# An attribute is a JSON scalar, or a list of them.
Scalar = str | int | float | bool | None
Attribute = Scalar | list[Scalar]
ATTRIBUTE_TEXT = SHORT_TEXT
# Within ±2**53 (I-JSON, RFC 7493): every store and every JSON client keeps these
# exactly, and an integer and a float compare the same at the bounds.
MIN_ATTRIBUTE_NUMBER = -(2**53)
MAX_ATTRIBUTE_NUMBER = 2**53


class ModuleKind(StrEnum):
    ASSIGNMENT = "assignment"
    ASSESSMENT = "assessment"
    READING = "reading"
    LINK = "link"
    DOWNLOAD = "download"


@dataclass(frozen=True)
class OfferingLink:
    title: str
    url: str


@dataclass(frozen=True)
class OfferingDeadline:
    title: str
    due: str  # YYYY-MM-DD, or an ISO date-time with its offset


@dataclass(frozen=True)
class OfferingModule:
    """A step of an offering; its id keeps a candidate's progress across edits."""

    kind: ModuleKind
    title: str
    id: str = ""  # empty: a new module (``of`` gives it an id)
    description: str | None = None
    url: str | None = None  # a link's target
    resource_id: str | None = None  # a download's file (a resource of the offering)


@dataclass(frozen=True)
class OfferingLocation:
    """Where an offering takes place: remote (online), at an address (in person),
    or both; ``country`` is an ISO 3166 alpha-2 code in capitals (events stored
    before offerings had one read as None)."""

    region: str | None = None
    address: str | None = None
    remote: bool = False
    country: str | None = None


@dataclass(frozen=True)
class OfferingContent:
    title: str
    categories: tuple[str, ...]
    summary: str | None = None
    tags: tuple[str, ...] = ()
    description_html: str = ""
    links: tuple[OfferingLink, ...] = ()
    deadlines: tuple[OfferingDeadline, ...] = ()
    modules: tuple[OfferingModule, ...] = ()
    location: OfferingLocation = dataclasses.field(default_factory=OfferingLocation)
    eligibility: str | None = None
    attributes: Mapping[str, Attribute] = dataclasses.field(default_factory=dict)

    @classmethod
    def of(
        cls,
        *,
        title: str,
        categories: Sequence[str],
        summary: str | None = None,
        tags: Sequence[str] = (),
        description_html: str = "",
        links: Sequence[OfferingLink] = (),
        deadlines: Sequence[OfferingDeadline] = (),
        modules: Sequence[OfferingModule] = (),
        location: OfferingLocation | None = None,
        eligibility: str | None = None,
        attributes: Mapping[str, object] | None = None,
    ) -> OfferingContent:
        """Check and normalise; raise ``InvalidFieldError`` naming the field."""
        chosen = v.sequence(categories, "categories", max_items=MAX_CATEGORIES)
        if not chosen:
            raise InvalidFieldError("categories", "name at least one category")
        description = RICH_TEXT.optional(description_html, "description_html")
        checked_links = tuple(
            OfferingLink(
                title=TITLE.required(link.title, f"links[{i}].title"),
                url=_required_url(link.url, f"links[{i}].url"),
            )
            for i, link in enumerate(v.sequence(links, "links", max_items=MAX_LINKS))
        )
        checked_deadlines = tuple(
            OfferingDeadline(
                title=TITLE.required(deadline.title, f"deadlines[{i}].title"),
                due=_when(deadline.due, f"deadlines[{i}].due"),
            )
            for i, deadline in enumerate(
                v.sequence(deadlines, "deadlines", max_items=MAX_DEADLINES)
            )
        )
        checked_modules = _modules(modules)
        where = location or OfferingLocation()
        if not isinstance(where.remote, bool):
            raise InvalidFieldError("location.remote", "must be true or false")
        country = COUNTRY_CODE.optional(where.country, "location.country")
        return cls(
            title=TITLE.required(title, "title"),
            summary=SHORT_TEXT.optional(summary, "summary"),
            categories=tuple(dict.fromkeys(chosen)),
            tags=tuple(v.tags(v.sequence(tags, "tags", max_items=v.MAX_TAGS), "tags")),
            description_html=sanitise_html(description or ""),
            links=checked_links,
            deadlines=checked_deadlines,
            modules=checked_modules,
            location=OfferingLocation(
                region=NAME.optional(where.region, "location.region"),
                address=SHORT_TEXT.optional(where.address, "location.address"),
                remote=where.remote,
                country=country.upper() if country else None,
            ),
            eligibility=LONG_TEXT.optional(eligibility, "eligibility"),
            attributes=_attributes(attributes),
        )

    # -- What the offering checks against its context --------------------------------

    def require_known_categories(self, known: Collection[str]) -> None:
        for i, category in enumerate(self.categories):
            if category not in known:
                raise InvalidFieldError(f"categories[{i}]", "is not a known category")

    def require_resources(self, usable: Collection[str]) -> None:
        """Every download module names one of the offering's usable resources."""
        for i, module in enumerate(self.modules):
            if module.kind is ModuleKind.DOWNLOAD and module.resource_id not in usable:
                raise InvalidFieldError(
                    f"modules[{i}].resource_id",
                    "must name a resource of this offering",
                )

    def modules_using(self, resource_id: str) -> list[str]:
        return [m.id for m in self.modules if m.resource_id == resource_id]

    # -- Stored form -------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """The content as events (and the offering documents) record it."""
        return {
            "title": self.title,
            "summary": self.summary,
            "categories": list(self.categories),
            "tags": list(self.tags),
            "description_html": self.description_html,
            "links": [{"title": k.title, "url": k.url} for k in self.links],
            "deadlines": [{"title": d.title, "due": d.due} for d in self.deadlines],
            "modules": [
                {
                    "id": m.id,
                    "kind": m.kind.value,
                    "title": m.title,
                    "description": m.description,
                    "url": m.url,
                    "resource_id": m.resource_id,
                }
                for m in self.modules
            ],
            "location": self._location_state(),
            "eligibility": self.eligibility,
            "attributes": {
                key: list(value) if isinstance(value, list) else value
                for key, value in self.attributes.items()
            },
        }

    def _location_state(self) -> dict[str, Any]:
        where = self.location
        state: dict[str, Any] = {
            "region": where.region,
            "address": where.address,
            "remote": where.remote,
        }
        # Content without a country is recorded as it was before offerings had one.
        if where.country is not None:
            state["country"] = where.country
        return state

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> OfferingContent:
        """The content recorded by ``to_state`` (other keys, if any, are ignored)."""
        location = state.get("location") or {}
        return cls(
            title=state["title"],
            summary=state.get("summary"),
            categories=tuple(state.get("categories") or ()),
            tags=tuple(state.get("tags") or ()),
            description_html=state.get("description_html") or "",
            links=tuple(
                OfferingLink(title=k["title"], url=k["url"])
                for k in state.get("links") or ()
            ),
            deadlines=tuple(
                OfferingDeadline(title=d["title"], due=d["due"])
                for d in state.get("deadlines") or ()
            ),
            modules=tuple(
                OfferingModule(
                    id=m["id"],
                    kind=ModuleKind(m["kind"]),
                    title=m["title"],
                    description=m.get("description"),
                    url=m.get("url"),
                    resource_id=m.get("resource_id"),
                )
                for m in state.get("modules") or ()
            ),
            location=OfferingLocation(
                region=location.get("region"),
                address=location.get("address"),
                remote=bool(location.get("remote", False)),
                country=location.get("country"),
            ),
            eligibility=state.get("eligibility"),
            attributes=dict(state.get("attributes") or {}),
        )


def _required_url(value: object, field: str) -> str:
    checked = v.url(value, field)
    assert checked is not None
    return checked


def _when(value: object, field: str) -> str:
    """A date (``YYYY-MM-DD``) or a date-time with its offset, as ISO text."""
    raw = DUE.required(value, field)
    try:
        if len(raw) == 10:
            return date.fromisoformat(raw).isoformat()
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidFieldError(field, "must be an ISO date or date-time") from None
    if moment.tzinfo is None:
        raise InvalidFieldError(field, "a date-time needs its UTC offset")
    return moment.isoformat()


def _modules(modules: Sequence[OfferingModule]) -> tuple[OfferingModule, ...]:
    checked: list[OfferingModule] = []
    seen: set[str] = set()
    for i, module in enumerate(v.sequence(modules, "modules", max_items=MAX_MODULES)):
        field = f"modules[{i}]"
        module_id = MODULE_ID.optional(module.id, f"{field}.id") or uuid4().hex
        if module_id in seen:
            raise InvalidFieldError(f"{field}.id", "is used twice")
        seen.add(module_id)
        try:
            kind = ModuleKind(module.kind)
        except ValueError:
            kinds = ", ".join(k.value for k in ModuleKind)
            raise InvalidFieldError(
                f"{field}.kind", f"must be one of {kinds}"
            ) from None
        title = TITLE.required(module.title, f"{field}.title")
        description = LONG_TEXT.optional(module.description, f"{field}.description")
        url = v.url(module.url, f"{field}.url", required=kind is ModuleKind.LINK)
        named = RESOURCE_ID.optional(module.resource_id, f"{field}.resource_id")
        resource_id: str | None = None
        if kind is ModuleKind.DOWNLOAD:
            if named is None:
                raise InvalidFieldError(
                    f"{field}.resource_id", "must name a resource of this offering"
                )
            resource_id = named
        checked.append(
            OfferingModule(
                id=module_id,
                kind=kind,
                title=title,
                description=description,
                url=url,
                resource_id=resource_id,
            )
        )
    return tuple(checked)


def _scalar(value: object, field: str) -> Scalar:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if not MIN_ATTRIBUTE_NUMBER <= value <= MAX_ATTRIBUTE_NUMBER:
            raise InvalidFieldError(
                field,
                f"must be a number from {MIN_ATTRIBUTE_NUMBER} "
                f"to {MAX_ATTRIBUTE_NUMBER}",
            )
        return value
    if isinstance(value, str):
        return ATTRIBUTE_TEXT.optional(value, field)
    raise InvalidFieldError(field, "must be text, a number, true/false or null")


def _attributes(raw: Mapping[str, object] | None) -> dict[str, Attribute]:
    attributes = v.mapping(raw, "attributes")
    if len(attributes) > MAX_ATTRIBUTES:
        raise InvalidFieldError("attributes", f"has more than {MAX_ATTRIBUTES} keys")
    result: dict[str, Attribute] = {}
    for key, value in attributes.items():
        if not isinstance(key, str) or not ATTRIBUTE_KEY.matches(key):
            raise InvalidFieldError("attributes", f"a key {ATTRIBUTE_KEY.hint}")
        field = f"attributes.{key}"
        if isinstance(value, list):
            if len(value) > MAX_ATTRIBUTE_ITEMS:
                raise InvalidFieldError(
                    field, f"has more than {MAX_ATTRIBUTE_ITEMS} items"
                )
            result[key] = [
                _scalar(item, f"{field}[{i}]") for i, item in enumerate(value)
            ]
        else:
            result[key] = _scalar(value, field)
    return result
