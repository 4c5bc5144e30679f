"""Request and response bodies of the NPO routes.

Requests check types and sizes; the domain's values check meaning when a body is
turned into one (``to_value``: 422 naming the field). Responses are built from the
views' typed rows.
"""

from __future__ import annotations

from typing import Annotated, Literal, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictFloat

from adapters.http.text import (
    LongText,
    Name,
    OptionalCountryCode,
    OptionalEmail,
    OptionalLongText,
    OptionalPhone,
    OptionalShortText,
    OptionalWebUrl,
    TextField,
    Title,
)
from domain.onboarding.values import (
    MAX_TAGS,
    TAG,
    NpoContact,
    NpoLocation,
    NpoProfile,
)
from projections.onboarding.npo_reader import NpoRow
from queries.onboarding.viewer import Viewer

STRICT = ConfigDict(extra="forbid")

T = TypeVar("T")

# A tag as typed ("Resume Writing"); kept in one form ("resume-writing").
Tag = Annotated[str, TextField(TAG)]


class LocationIn(BaseModel):
    """Where the NPO is; ``latitude`` and ``longitude`` come both or not at all."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "anyOf": [
                {
                    "properties": {
                        "latitude": {"type": "null"},
                        "longitude": {"type": "null"},
                    }
                },
                {
                    "properties": {
                        "latitude": {"type": "number"},
                        "longitude": {"type": "number"},
                    },
                    "required": ["latitude", "longitude"],
                },
            ]
        },
    )
    address: OptionalShortText | None = None
    region: Name = Field(description="Used for regional reports.")
    country: OptionalCountryCode | None = Field(
        default=None, description="ISO 3166-1 alpha-2."
    )
    latitude: StrictFloat | None = Field(
        default=None, ge=-90, le=90, description="With longitude, or neither."
    )
    longitude: StrictFloat | None = Field(
        default=None, ge=-180, le=180, description="With latitude, or neither."
    )

    def to_value(self) -> NpoLocation:
        return NpoLocation(
            region=self.region,
            address=self.address,
            country=self.country,
            latitude=self.latitude,
            longitude=self.longitude,
        )


class ContactIn(BaseModel):
    model_config = STRICT
    email: OptionalEmail | None = Field(
        default=None, description="An organisational mailbox."
    )
    phone: OptionalPhone | None = Field(
        default=None, description="E.164, e.g. +14155550100."
    )

    def to_value(self) -> NpoContact:
        return NpoContact(email=self.email, phone=self.phone)


class NpoProfileIn(BaseModel):
    model_config = STRICT
    name: Title
    description: OptionalLongText | None = None
    registration_id: Name = Field(
        description="As registered with the non-profit registry."
    )
    website: OptionalWebUrl | None = None
    location: LocationIn
    contact: ContactIn = Field(default_factory=ContactIn)
    service_areas: list[Tag] = Field(
        default_factory=list,
        max_length=MAX_TAGS,
        description="What the NPO does, as tags; used to place it in communities.",
    )

    def to_value(self) -> NpoProfile:
        """The profile, checked and normalised (422 naming the field if not)."""
        return NpoProfile.of(
            name=self.name,
            description=self.description,
            registration_id=self.registration_id,
            website=self.website,
            location=self.location.to_value(),
            contact=self.contact.to_value(),
            service_areas=self.service_areas,
        )


class LocationOut(BaseModel):
    address: str | None
    region: str
    country: str | None
    latitude: float | None
    longitude: float | None

    @classmethod
    def of(cls, location: NpoLocation) -> LocationOut:
        return cls(
            address=location.address,
            region=location.region,
            country=location.country,
            latitude=location.latitude,
            longitude=location.longitude,
        )


class ContactOut(BaseModel):
    email: str | None
    phone: str | None


class NpoOut(BaseModel):
    """An NPO. Fields marked *insiders* are null for anyone but its members, its
    leader and admins (who see it only once it is approved)."""

    id: UUID = Field(description="Assigned by the platform (#8).")
    name: str
    description: str | None
    website: str | None
    region: str | None
    service_areas: list[str]
    community_ids: list[str]
    approved: bool
    registration_id: str | None = Field(description="Insiders.")
    location: LocationOut | None = Field(description="Insiders.")
    contact: ContactOut | None = Field(description="Insiders.")
    creator_id: str | None = Field(description="Insiders.")
    members: list[str] | None = Field(description="Insiders.")
    registration_status: Literal["PENDING", "COMPLETE"] | None
    completed_at: str | None
    verification_status: Literal["UNVERIFIED", "VERIFIED", "FLAGGED"] | None
    verification_reason: str | None
    deleted: bool | None
    leader_id: str | None
    primary_community_id: str | None
    waiting_for_leader_in: str | None
    offering_ids: list[str] | None
    created_at: str | None
    updated_at: str | None
    version: int | None

    @classmethod
    def of(cls, npo: NpoRow, viewer: Viewer) -> NpoOut:
        profile, insider = npo.profile, viewer.is_insider(npo)

        def shown(value: T) -> T | None:
            return value if insider else None

        return cls(
            id=UUID(npo.id),
            name=profile.name,
            description=profile.description,
            website=profile.website,
            region=profile.location.region,
            service_areas=list(profile.service_areas),
            community_ids=list(npo.community_ids),
            approved=npo.approved,
            registration_id=shown(profile.registration_id),
            location=shown(LocationOut.of(profile.location)),
            contact=shown(
                ContactOut(email=profile.contact.email, phone=profile.contact.phone)
            ),
            creator_id=shown(npo.creator_id),
            members=shown(list(npo.members)),
            registration_status=shown(npo.registration_status.value),
            completed_at=shown(npo.completed_at),
            verification_status=shown(npo.verification_status.value),
            verification_reason=shown(npo.verification_reason),
            deleted=shown(npo.deleted),
            leader_id=shown(npo.leader_id),
            primary_community_id=shown(npo.primary_community_id),
            waiting_for_leader_in=shown(npo.waiting_in),
            offering_ids=shown(list(npo.offering_ids)),
            created_at=shown(npo.created_at),
            updated_at=shown(npo.updated_at),
            version=shown(npo.version),
        )


class NpoPage(BaseModel):
    items: list[NpoOut]
    next_cursor: str | None


class AssignedNpo(BaseModel):
    """A line of a leader's report (CL6, first cut)."""

    id: UUID
    name: str
    region: str | None
    registration_id: str
    registration_status: str
    completed_at: str | None
    verification_status: str
    verification_reason: str | None
    approved: bool
    community_id: str | None
    assigned_at: str | None

    @classmethod
    def of(cls, npo: NpoRow) -> AssignedNpo:
        return cls(
            id=UUID(npo.id),
            name=npo.profile.name,
            region=npo.profile.location.region,
            registration_id=npo.profile.registration_id,
            registration_status=npo.registration_status.value,
            completed_at=npo.completed_at,
            verification_status=npo.verification_status.value,
            verification_reason=npo.verification_reason,
            approved=npo.approved,
            community_id=npo.leader_community_id,
            assigned_at=npo.leader_assigned_at,
        )


class AssignedNpoPage(BaseModel):
    items: list[AssignedNpo]
    next_cursor: str | None


class VerificationIn(BaseModel):
    model_config = STRICT
    status: Literal["VERIFIED", "FLAGGED"]
    reason: OptionalLongText | None = Field(
        default=None, description="Required when FLAGGED."
    )


class ReasonIn(BaseModel):
    model_config = STRICT
    reason: LongText


class PlacementIn(BaseModel):
    model_config = STRICT
    community_ids: list[UUID] = Field(
        min_length=1, max_length=10, description="The first is the leader's community."
    )
