"""The identity context's value objects: roles, genders, addresses, profiles.

Text in them is checked by ``domain.text``'s kinds: a user's own profile is refused
field by field when it breaks a rule (``Profile.checked``); what a sign-in provider
claims about the user (their names, their email) is kept only when it is acceptable
text and otherwise dropped (``claimed_name``, ``claimed_email``), so a provider
sending a bad name never keeps anyone from signing in.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.identity.errors import InvalidProfileFieldError
from domain.text import (
    COUNTRY_CODE,
    EMAIL,
    NAME,
    PHONE,
    SHORT_TEXT,
    refused_character,
)


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

    def checked(self, field: str = "address") -> Address:
        """The address trimmed and normalised; ``InvalidFieldError`` names the
        part refused (``address.city``)."""
        return Address(
            line1=SHORT_TEXT.required(self.line1, f"{field}.line1"),
            line2=SHORT_TEXT.optional(self.line2, f"{field}.line2"),
            city=NAME.required(self.city, f"{field}.city"),
            region=NAME.optional(self.region, f"{field}.region"),
            postal_code=NAME.optional(self.postal_code, f"{field}.postal_code"),
            country=COUNTRY_CODE.required(self.country, f"{field}.country").upper(),
        )

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

    def checked(self, today: date) -> Profile:
        """The rules a profile keeps whatever door it came through: the profile
        with its text trimmed and normalised, or ``InvalidFieldError`` naming the
        field. ``None`` clears a field; text given must not be blank."""
        if self.date_of_birth is not None:
            if self.date_of_birth > today:
                raise InvalidProfileFieldError(
                    "date_of_birth", "must not be in the future"
                )
            if today.year - self.date_of_birth.year > _OLDEST_PLAUSIBLE_AGE_YEARS:
                raise InvalidProfileFieldError("date_of_birth", "is not plausible")
        return dataclasses.replace(
            self,
            first_name=NAME.nullable(self.first_name, "first_name"),
            last_name=NAME.nullable(self.last_name, "last_name"),
            address=self.address.checked() if self.address is not None else None,
            phone=PHONE.nullable(self.phone, "phone"),
        )


def claimed_name(value: object) -> str | None:
    """A name a sign-in provider claims, if it is acceptable as a name; else None
    (the user may set it themselves)."""
    return NAME.kept(value)


def claimed_email(value: object) -> str | None:
    """An email a sign-in provider claims, if it is text an email may be; else None.

    Its form is the provider's to check (it says whether it verified it); what is
    refused here is what no view can hold (control characters, surrogates...).
    """
    if not isinstance(value, str) or not value or len(value) > EMAIL.max_length:
        return None
    if refused_character(value, multiline=False) is not None:
        return None
    return value


def normalise_email(email: str) -> str:
    return email.strip().casefold()
