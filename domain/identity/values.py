"""The identity context's value objects: roles, genders, addresses, profiles."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.identity.errors import InvalidProfileFieldError


class Role(StrEnum):
    NPO = "NPO"
    CANDIDATE = "CANDIDATE"
    COMMUNITY_LEADER = "COMMUNITY_LEADER"
    CAREER_MENTOR = "CAREER_MENTOR"
    ADMIN = "ADMIN"


# Chosen by the user at sign-up; the others only an admin grants.
SELF_SERVE_ROLES = frozenset({Role.NPO, Role.CANDIDATE})
ADMIN_GRANTED_ROLES = frozenset(set(Role) - SELF_SERVE_ROLES)


class Gender(StrEnum):
    FEMALE = "female"
    MALE = "male"
    NON_BINARY = "non_binary"
    SELF_DESCRIBED = "self_described"
    PREFER_NOT_TO_SAY = "prefer_not_to_say"


@dataclass(frozen=True)
class Address:
    line1: str
    city: str
    country: str  # ISO 3166-1 alpha-2
    line2: str | None = None
    region: str | None = None
    postal_code: str | None = None

    def to_state(self) -> dict[str, str | None]:
        return {
            "line1": self.line1,
            "line2": self.line2,
            "city": self.city,
            "region": self.region,
            "postal_code": self.postal_code,
            "country": self.country,
        }

    @classmethod
    def from_state(cls, state: object) -> Address | None:
        # An erased event holds the ERASED marker instead of the mapping.
        if not isinstance(state, Mapping):
            return None
        return cls(
            line1=str(state["line1"]),
            line2=state.get("line2"),
            city=str(state["city"]),
            region=state.get("region"),
            postal_code=state.get("postal_code"),
            country=str(state["country"]),
        )


@dataclass(frozen=True)
class LinkedIdentity:
    """An account at an OpenID provider: the provider's issuer URL and subject."""

    issuer: str
    subject: str


_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")  # E.164
_OLDEST_PLAUSIBLE_AGE_YEARS = 130


@dataclass(frozen=True)
class Profile:
    """The fields a user edits themselves (email comes from a verified identity)."""

    first_name: str | None = None
    last_name: str | None = None
    date_of_birth: date | None = None
    address: Address | None = None
    gender: Gender | None = None
    phone: str | None = None

    def validate(self, today: date) -> None:
        """The rules a profile keeps whatever door it came through."""
        for name in ("first_name", "last_name"):
            value = getattr(self, name)
            if value is not None and not value.strip():
                raise InvalidProfileFieldError(name, "must not be blank")
        if self.phone is not None and not _PHONE.match(self.phone):
            raise InvalidProfileFieldError(
                "phone", "must be in E.164 form, e.g. +14155550100"
            )
        if self.date_of_birth is not None:
            if self.date_of_birth > today:
                raise InvalidProfileFieldError(
                    "date_of_birth", "must not be in the future"
                )
            if today.year - self.date_of_birth.year > _OLDEST_PLAUSIBLE_AGE_YEARS:
                raise InvalidProfileFieldError("date_of_birth", "is not plausible")


def normalise_email(email: str) -> str:
    return email.strip().casefold()
