"""The onboarding context's value objects, and the field checks they are made with.

Values are frozen dataclasses validated ONCE, by their ``of`` classmethod, when they
are made from input: it names the field it refuses (``InvalidFieldError``) and
normalises what it keeps (trimmed text, tags in one form, country codes in capitals).
Text is checked by the kinds and formats of ``domain.text``, as in every context.
Parts of a value (an ``NpoLocation`` of an ``NpoProfile``) are built with their plain
constructors and checked together with the whole, so every field is named by its
path (``location.latitude``). A ``Placement`` is made by the community directory or
an admin and checked by the NPO it places (``Npo.place``).

Events and the state of snapshotted aggregates hold only JSON values, so they
transcode without custom transcodings: a value goes into an event as ``to_state()``
and comes back with ``from_state(...)`` (already checked when it was recorded).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from domain.base import InvalidFieldError
from domain.tagging import MAX_TAGS, TAG, normalise_tag, tags
from domain.text import (
    COUNTRY_CODE,
    EMAIL,
    LONG_TEXT,
    NAME,
    PHONE,
    SHORT_TEXT,
    TITLE,
    WEB_URL,
    TextFormat,
)

__all__ = ["MAX_TAGS", "TAG", "normalise_tag", "tags"]  # shared, re-exported here

# Role names as the identity context spells them (``domain.identity.Role``).
ROLE_NPO = "NPO"
ROLE_COMMUNITY_LEADER = "COMMUNITY_LEADER"
ROLE_ADMIN = "ADMIN"

# The onboarding aggregates with fixed or derived ids (singletons, rosters,
# leaders) take them from this namespace.
ONBOARDING_NAMESPACE = uuid5(NAMESPACE_URL, "https://spotlight.example/onboarding")

SLUG = TextFormat(
    "slug",
    "[a-z][a-z0-9_]{1,49}",
    50,
    "must be lower-case letters, digits and underscores",
)


def url(value: object, field: str, *, required: bool = True) -> str | None:
    """An absolute http(s) URL."""
    if required:
        return WEB_URL.required(value, field)
    return WEB_URL.optional(value, field)


def slug(value: object, field: str) -> str:
    return SLUG.required(value, field)


def mapping(value: object, field: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidFieldError(field, "must be an object")
    return value


def sequence(value: object, field: str, *, max_items: int) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
        raise InvalidFieldError(field, "must be a list")
    if len(value) > max_items:
        raise InvalidFieldError(field, f"has more than {max_items} items")
    return list(value)


# --- NPO profile ------------------------------------------------------------------


@dataclass(frozen=True)
class NpoLocation:
    """Where an NPO is; ``region`` is used for regional reports."""

    region: str
    address: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2
    latitude: float | None = None
    longitude: float | None = None

    def to_state(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "region": self.region,
            "country": self.country,
            "latitude": self.latitude,
            "longitude": self.longitude,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> NpoLocation:
        return cls(
            region=state["region"],
            address=state.get("address"),
            country=state.get("country"),
            latitude=state.get("latitude"),
            longitude=state.get("longitude"),
        )


@dataclass(frozen=True)
class NpoContact:
    """An organisational mailbox and phone (E.164)."""

    email: str | None = None
    phone: str | None = None

    def to_state(self) -> dict[str, Any]:
        return {"email": self.email, "phone": self.phone}

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> NpoContact:
        return cls(email=state.get("email"), phone=state.get("phone"))


@dataclass(frozen=True)
class NpoProfile:
    """What an NPO says about itself (NP1); ``service_areas`` place it (A2)."""

    name: str
    registration_id: str
    location: NpoLocation
    description: str | None = None
    website: str | None = None
    contact: NpoContact = dataclasses.field(default_factory=NpoContact)
    service_areas: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        *,
        name: str,
        registration_id: str,
        location: NpoLocation,
        description: str | None = None,
        website: str | None = None,
        contact: NpoContact | None = None,
        service_areas: Sequence[str] = (),
    ) -> NpoProfile:
        """Check and normalise a profile; raise ``InvalidFieldError`` naming a field."""
        contact = contact or NpoContact()
        latitude, longitude = location.latitude, location.longitude
        if (latitude is None) != (longitude is None):
            raise InvalidFieldError(
                "location", "give both latitude and longitude, or none"
            )
        if latitude is not None and longitude is not None:
            if not _number(latitude) or not -90 <= latitude <= 90:
                raise InvalidFieldError(
                    "location.latitude", "must be between -90 and 90"
                )
            if not _number(longitude) or not -180 <= longitude <= 180:
                raise InvalidFieldError(
                    "location.longitude", "must be between -180 and 180"
                )
        country = COUNTRY_CODE.optional(location.country, "location.country")
        return cls(
            name=TITLE.required(name, "name"),
            description=LONG_TEXT.optional(description, "description"),
            registration_id=NAME.required(registration_id, "registration_id"),
            website=WEB_URL.optional(website, "website"),
            location=NpoLocation(
                address=SHORT_TEXT.optional(location.address, "location.address"),
                region=NAME.required(location.region, "location.region"),
                country=country.upper() if country else None,
                latitude=float(latitude) if latitude is not None else None,
                longitude=float(longitude) if longitude is not None else None,
            ),
            contact=NpoContact(
                email=EMAIL.optional(contact.email, "contact.email"),
                phone=PHONE.optional(contact.phone, "contact.phone"),
            ),
            service_areas=tuple(
                tags(
                    sequence(service_areas, "service_areas", max_items=MAX_TAGS),
                    "service_areas",
                )
            ),
        )

    def to_state(self) -> dict[str, Any]:
        """The profile as events record it (JSON values)."""
        return {
            "name": self.name,
            "description": self.description,
            "registration_id": self.registration_id,
            "website": self.website,
            "location": self.location.to_state(),
            "contact": self.contact.to_state(),
            "service_areas": list(self.service_areas),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> NpoProfile:
        return cls(
            name=state["name"],
            description=state.get("description"),
            registration_id=state["registration_id"],
            website=state.get("website"),
            location=NpoLocation.from_state(state["location"]),
            contact=NpoContact.from_state(state.get("contact") or {}),
            service_areas=tuple(state.get("service_areas") or ()),
        )


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# --- Communities --------------------------------------------------------------------


@dataclass(frozen=True)
class CommunityProfile:
    """A community's name, description and areas of expertise (its tags)."""

    name: str
    description: str | None
    tags: tuple[str, ...]

    @classmethod
    def of(
        cls, name: str, description: str | None, expertise: Sequence[str]
    ) -> CommunityProfile:
        """Check and normalise the fields; ``expertise`` is named ``tags``."""
        return cls(
            name=TITLE.required(name, "name"),
            description=LONG_TEXT.optional(description, "description"),
            tags=tuple(tags(sequence(expertise, "tags", max_items=MAX_TAGS), "tags")),
        )


@dataclass(frozen=True)
class Placement:
    """The communities an NPO is placed in, its leader's first; the tags matched."""

    community_ids: tuple[str, ...]
    matched_tags: tuple[str, ...] = ()

    @property
    def primary(self) -> str:
        """Where the NPO's leader comes from."""
        return self.community_ids[0]

    def check(self) -> None:
        """At least one community, none twice (``InvalidFieldError`` if not)."""
        if not self.community_ids:
            raise InvalidFieldError("community_ids", "name at least one community")
        if len(set(self.community_ids)) != len(self.community_ids):
            raise InvalidFieldError("community_ids", "a community is named twice")
