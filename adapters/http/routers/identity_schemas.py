"""Request and response bodies shared by the ``me`` and ``users`` routers."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from commands.base import CommandResult
from commands.identity import AddressFields
from domain.identity.values import Gender, Role
from projections.identity.user_info import UserInfo

Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
]
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
]


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line1: ShortText
    line2: ShortText | None = None
    city: Name
    region: Name | None = None
    postal_code: (
        Annotated[
            str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)
        ]
        | None
    ) = None
    country: str = Field(
        pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2, e.g. US"
    )

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
    date_of_birth: date | None = None
    address: AddressIn | None = None
    gender: Gender | None = None
    phone: str | None = Field(
        default=None,
        pattern=r"^\+[1-9][0-9]{6,14}$",
        description="E.164, e.g. +14155550100",
    )


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
        description="Pass as ?after= for the next page; null on the last page."
    )


class CommandAccepted(BaseModel):
    """What a command answers: the ids it touched and a token for read-your-writes."""

    ids: list[str]
    consistency_token: str | None = Field(
        description="Send as ?after= (or the Spotlight-After header) to read it back."
    )

    @classmethod
    def of(cls, result: CommandResult) -> CommandAccepted:
        return cls(ids=list(result.ids), consistency_token=result.consistency_token)


class DisableRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: ShortText
