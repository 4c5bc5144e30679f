"""Request and response bodies of the identity routes."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool

from adapters.http.text import (
    CountryCode,
    LongText,
    Name,
    OptionalName,
    OptionalShortText,
    Phone,
    ShortText,
)
from commands.identity.messages import AddressFields
from domain.identity.values import Gender, Role
from projections.identity.user_info import UserInfo


def _date_text(value: object) -> object:
    # JSON has no dates: one comes as YYYY-MM-DD text, never as a number.
    if isinstance(value, date) or (
        isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)
    ):
        return value
    raise ValueError("expected a date as YYYY-MM-DD")


IsoDate = Annotated[date, BeforeValidator(_date_text)]

# --- Sign-in and tokens -------------------------------------------------------------


class SignInRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id_token: str = Field(
        min_length=1, max_length=16_384, description="The provider's ID token."
    )
    nonce: str = Field(
        min_length=8,
        max_length=512,
        description="The nonce the client sent to the provider; must match.",
    )
    roles: list[Role] = Field(
        default_factory=list,
        max_length=2,
        description="At first sign-in only: NPO and/or CANDIDATE (self-serve).",
    )


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=512)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme's name, not a secret
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    user_id: UUID
    roles: list[Role]
    new_user: bool = False
    consistency_token: str | None = None


# Neither "@" nor white space, by the same characters in every regex dialect (\s of
# the document's ECMAScript lacks U+0085, that of the server's lacks U+FEFF).
_NOT_AT = r"[^@\s\x85\uFEFF]"


class DevTokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(pattern=rf"^{_NOT_AT}+@{_NOT_AT}+\.{_NOT_AT}+$", max_length=254)
    nonce: str = Field(min_length=8, max_length=512)
    given_name: str | None = Field(default=None, max_length=100)
    family_name: str | None = Field(default=None, max_length=100)
    email_verified: StrictBool = True


class DevTokenResponse(BaseModel):
    id_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme's name, not a secret


# --- Users --------------------------------------------------------------------------


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line1: ShortText
    line2: OptionalShortText | None = None
    city: Name
    region: OptionalName | None = None
    postal_code: OptionalName | None = None
    country: CountryCode = Field(description="ISO 3166-1 alpha-2, e.g. US")

    def to_command(self) -> AddressFields:
        return AddressFields(**self.model_dump())


class ProfilePatch(BaseModel):
    """Only the fields present change; ``null`` clears a field.

    The email comes from a provider that verified it, and roles from an admin, so
    neither can be set here.
    """

    model_config = ConfigDict(extra="forbid")

    first_name: Name | None = None
    last_name: Name | None = None
    date_of_birth: IsoDate | None = None
    address: AddressIn | None = None
    gender: Gender | None = None
    phone: Phone | None = Field(default=None, description="E.164, e.g. +14155550100")


class AddressOut(BaseModel):
    line1: str
    line2: str | None = None
    city: str
    region: str | None = None
    postal_code: str | None = None
    country: str


class UserResponse(BaseModel):
    id: UUID
    email: str | None
    first_name: str | None
    last_name: str | None
    date_of_birth: date | None
    address: AddressOut | None
    gender: Gender | None
    phone: str | None
    roles: list[Role]
    disabled: bool
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, user: UserInfo) -> UserResponse:
        address = user.address
        return cls(
            id=user.id,
            email=user.email,
            first_name=user.first_name,
            last_name=user.last_name,
            date_of_birth=user.date_of_birth,
            address=AddressOut(
                line1=address.line1,
                line2=address.line2,
                city=address.city,
                region=address.region,
                postal_code=address.postal_code,
                country=address.country,
            )
            if address
            else None,
            gender=user.gender,
            phone=user.phone,
            roles=sorted(user.roles),
            disabled=user.disabled,
            created_at=user.created_at,
            updated_at=user.updated_at,
        )


class UserPageResponse(BaseModel):
    users: list[UserResponse]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null on the last page."
    )


class DisableRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: LongText
