"""Request and response bodies of the onboarding routes.

Requests check types and sizes; the domain's values check meaning when a body is
turned into one (``to_value``: 422 naming the field). Responses are built from the
views' rows.
"""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from commands.onboarding.messages import UploadTicket
from domain.onboarding.offering_content import (
    ModuleKind,
    OfferingContent,
    OfferingDeadline,
    OfferingLink,
    OfferingLocation,
    OfferingModule,
)
from domain.onboarding.values import NpoContact, NpoLocation, NpoProfile
from queries.onboarding import (
    CommunityRecord,
    DownloadLink,
    LeaderRecord,
    NpoRecord,
    Viewer,
)

_STRICT = ConfigDict(extra="forbid")


# --- NPOs ----------------------------------------------------------------------


class LocationIn(BaseModel):
    model_config = _STRICT
    address: str | None = Field(default=None, max_length=300)
    region: str = Field(max_length=100, description="Used for regional reports.")
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2.")
    latitude: float | None = None
    longitude: float | None = None

    def to_value(self) -> NpoLocation:
        return NpoLocation(
            region=self.region,
            address=self.address,
            country=self.country,
            latitude=self.latitude,
            longitude=self.longitude,
        )


class ContactIn(BaseModel):
    model_config = _STRICT
    email: str | None = Field(
        default=None, max_length=320, description="An organisational mailbox."
    )
    phone: str | None = Field(default=None, description="E.164, e.g. +14155550100.")

    def to_value(self) -> NpoContact:
        return NpoContact(email=self.email, phone=self.phone)


class NpoProfileIn(BaseModel):
    model_config = _STRICT
    name: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    registration_id: str = Field(
        max_length=100, description="As registered with the non-profit registry."
    )
    website: str | None = Field(default=None, max_length=2000)
    location: LocationIn
    contact: ContactIn = Field(default_factory=ContactIn)
    service_areas: list[str] = Field(
        default_factory=list,
        max_length=30,
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
    location: dict[str, Any] | None = Field(description="Insiders.")
    contact: dict[str, Any] | None = Field(description="Insiders.")
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
    def of(cls, npo: NpoRecord, viewer: Viewer) -> NpoOut:
        public: dict[str, Any] = {
            "id": npo.id,
            "name": npo.name,
            "description": npo.description,
            "website": npo.website,
            "region": npo.region,
            "service_areas": npo.service_areas,
            "community_ids": npo.community_ids,
            "approved": npo.approved,
        }
        if not npo.insider(viewer):
            hidden = set(cls.model_fields) - set(public)
            return cls(**public, **dict.fromkeys(hidden))
        return cls(
            **public,
            registration_id=npo.registration_id,
            location=npo.location,
            contact=npo.contact,
            creator_id=npo.creator_id,
            members=npo.members,
            registration_status=npo.registration_status,
            completed_at=npo.completed_at,
            verification_status=npo.verification_status,
            verification_reason=npo.verification_reason,
            deleted=npo.deleted,
            leader_id=npo.leader_id,
            primary_community_id=npo.primary_community_id,
            waiting_for_leader_in=npo.waiting_in,
            offering_ids=npo.offering_ids,
            created_at=npo.created_at,
            updated_at=npo.updated_at,
            version=npo.version,
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
    def of(cls, npo: NpoRecord) -> AssignedNpo:
        return cls(
            id=UUID(npo.id),
            name=npo.name,
            region=npo.region,
            registration_id=npo.registration_id,
            registration_status=npo.registration_status,
            completed_at=npo.completed_at,
            verification_status=npo.verification_status,
            verification_reason=npo.verification_reason,
            approved=npo.approved,
            community_id=npo.leader_community_id,
            assigned_at=npo.leader_assigned_at,
        )


class AssignedNpoPage(BaseModel):
    items: list[AssignedNpo]
    next_cursor: str | None


class VerificationIn(BaseModel):
    model_config = _STRICT
    status: Literal["VERIFIED", "FLAGGED"]
    reason: str | None = Field(
        default=None, max_length=2000, description="Required when FLAGGED."
    )


class ReasonIn(BaseModel):
    model_config = _STRICT
    reason: str = Field(min_length=1, max_length=2000)


class PlacementIn(BaseModel):
    model_config = _STRICT
    community_ids: list[UUID] = Field(
        min_length=1, max_length=10, description="The first is the leader's community."
    )


# --- Offerings -----------------------------------------------------------------


class LinkIn(BaseModel):
    model_config = _STRICT
    title: str = Field(max_length=200)
    url: str = Field(max_length=2000)

    def to_value(self) -> OfferingLink:
        return OfferingLink(title=self.title, url=self.url)


class DeadlineIn(BaseModel):
    model_config = _STRICT
    title: str = Field(max_length=200)
    due: str = Field(description="YYYY-MM-DD, or an ISO date-time with its offset.")

    def to_value(self) -> OfferingDeadline:
        return OfferingDeadline(title=self.title, due=self.due)


class ModuleIn(BaseModel):
    model_config = _STRICT
    id: str | None = Field(default=None, description="Keep it to keep progress.")
    kind: Literal["assignment", "assessment", "reading", "link", "download"]
    title: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    url: str | None = Field(default=None, description="Required for a link.")
    resource_id: str | None = Field(
        default=None,
        description="Required for a download: a resource of this offering.",
    )

    def to_value(self) -> OfferingModule:
        return OfferingModule(
            id=self.id or "",
            kind=ModuleKind(self.kind),
            title=self.title,
            description=self.description,
            url=self.url,
            resource_id=self.resource_id,
        )


class OfferingLocationIn(BaseModel):
    model_config = _STRICT
    region: str | None = Field(default=None, max_length=100)
    address: str | None = Field(default=None, max_length=300)
    remote: bool = False

    def to_value(self) -> OfferingLocation:
        return OfferingLocation(
            region=self.region, address=self.address, remote=self.remote
        )


class OfferingIn(BaseModel):
    model_config = _STRICT
    title: str = Field(max_length=200)
    summary: str | None = Field(default=None, max_length=500)
    categories: list[str] = Field(
        min_length=1, max_length=10, description="Slugs from GET /offering-categories."
    )
    tags: list[str] = Field(default_factory=list, max_length=30)
    description_html: str = Field(
        default="",
        max_length=50_000,
        description="Rich text; scripts, handlers and unknown tags are removed.",
    )
    links: list[LinkIn] = Field(default_factory=list, max_length=30)
    deadlines: list[DeadlineIn] = Field(default_factory=list, max_length=20)
    modules: list[ModuleIn] = Field(default_factory=list, max_length=100)
    location: OfferingLocationIn = Field(default_factory=OfferingLocationIn)
    eligibility: str | None = Field(default=None, max_length=2000)
    attributes: dict[str, Any] = Field(
        default_factory=dict,
        description="Offering-specific properties (the schema varies per offering).",
    )

    def to_value(self) -> OfferingContent:
        """The content, checked and normalised (422 naming the field if not)."""
        return OfferingContent.of(
            title=self.title,
            summary=self.summary,
            categories=self.categories,
            tags=self.tags,
            description_html=self.description_html,
            links=[link.to_value() for link in self.links],
            deadlines=[deadline.to_value() for deadline in self.deadlines],
            modules=[module.to_value() for module in self.modules],
            location=self.location.to_value(),
            eligibility=self.eligibility,
            attributes=self.attributes,
        )


class OfferingUpdateIn(OfferingIn):
    version: int = Field(ge=1, description="The version this edit starts from.")


class ResourceOut(BaseModel):
    id: str
    filename: str
    content_type: str
    state: Literal["AWAITING_UPLOAD", "READY", "REJECTED"]
    size: int | None
    declared_size: int
    sha256: str | None
    reason: str | None
    added_at: str | None = None


class OfferingOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    npo_id: str
    version: int
    status: Literal["ACTIVE", "TAKEN_DOWN", "DELETED"]
    status_reason: str | None = None
    title: str
    summary: str | None = None
    categories: list[str]
    tags: list[str]
    description_html: str
    links: list[dict[str, Any]]
    deadlines: list[dict[str, Any]]
    modules: list[dict[str, Any]]
    location: dict[str, Any]
    eligibility: str | None = None
    attributes: dict[str, Any]
    resources: list[ResourceOut]
    created_at: str
    updated_at: str


class OfferingPage(BaseModel):
    items: list[OfferingOut]
    next_cursor: str | None


class NpoReportOut(BaseModel):
    """NP5, first cut: the NPO, its offerings and how many are in each status."""

    npo: NpoOut
    offerings: list[OfferingOut]
    offering_counts: dict[str, int]


class UploadIn(BaseModel):
    model_config = _STRICT
    filename: str = Field(max_length=200)
    content_type: Literal[
        "application/pdf",
        "text/plain",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
    ]
    size: int = Field(gt=0, description="Bytes; at most 10 MiB.")


class UploadTicketOut(BaseModel):
    resource_id: str
    upload_url: str = Field(description="PUT the bytes here, before it expires.")
    method: Literal["PUT"] = "PUT"
    headers: dict[str, str] = Field(description="Send these headers with the PUT.")
    expires_in_seconds: int
    consistency_token: str | None

    @classmethod
    def of(cls, ticket: UploadTicket) -> UploadTicketOut:
        return cls(
            resource_id=ticket.resource_id,
            upload_url=ticket.upload_url,
            headers={"Content-Type": ticket.content_type},
            expires_in_seconds=ticket.expires_in_seconds,
            consistency_token=ticket.result.consistency_token,
        )


class DownloadOut(BaseModel):
    url: str = Field(description="A presigned GET URL.")
    expires_in_seconds: int
    filename: str
    content_type: str
    size: int | None

    @classmethod
    def of(cls, link: DownloadLink) -> DownloadOut:
        return cls(
            url=link.url,
            expires_in_seconds=link.expires_in_seconds,
            filename=link.filename,
            content_type=link.content_type,
            size=link.size,
        )


class CategoryIn(BaseModel):
    model_config = _STRICT
    slug: str = Field(pattern=r"^[a-z][a-z0-9_]{1,49}$")
    label: str = Field(min_length=1, max_length=100)


class CategoryOut(BaseModel):
    slug: str
    label: str


# --- Communities, leaders, policy ---------------------------------------------------


class CommunityIn(BaseModel):
    model_config = _STRICT
    name: str = Field(max_length=120)
    description: str | None = Field(default=None, max_length=5000)
    tags: list[str] = Field(
        default_factory=list, max_length=30, description="Areas of expertise."
    )


class CommunityOut(BaseModel):
    id: str
    name: str
    description: str | None
    tags: list[str]
    is_default: bool
    founded_by: str
    leaders: list[str]
    waiting: list[str] | None = Field(
        description="NPOs waiting for a leader, first served first (admins only)."
    )

    @classmethod
    def of(cls, community: CommunityRecord, viewer: Viewer) -> CommunityOut:
        return cls(
            id=community.id,
            name=community.name,
            description=community.description,
            tags=community.tags,
            is_default=community.is_default,
            founded_by=community.founded_by,
            leaders=community.leaders,
            waiting=community.waiting if viewer.is_admin else None,
        )


class LeaderCapIn(BaseModel):
    model_config = _STRICT
    npo_cap: int | None = Field(
        ge=0, le=10_000, description="null: the platform default applies."
    )


class LeaderOut(BaseModel):
    leader_id: str
    npo_cap: int | None
    effective_cap: int
    active_npos: int
    communities: list[str]

    @classmethod
    def of(cls, leader: LeaderRecord) -> LeaderOut:
        return cls(
            leader_id=leader.leader_id,
            npo_cap=leader.npo_cap,
            effective_cap=leader.effective_cap,
            active_npos=leader.active_npos,
            communities=leader.communities,
        )


class PolicyIO(BaseModel):
    model_config = _STRICT
    leader_npo_cap: int = Field(ge=1, le=10_000, description="Default NPOs per leader.")
    communities_per_leader: int = Field(
        ge=1, le=10_000, description="Communities one leader may lead (CL5)."
    )
