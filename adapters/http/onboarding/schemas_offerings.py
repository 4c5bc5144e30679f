"""Request and response bodies of the offering routes (and the NPO's report, which
lists offerings).

Requests check types and sizes; the domain's values check meaning when a body is
turned into one (``to_value``: 422 naming the field). Responses are built from the
views' typed rows; the object-store keys of files never leave.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, WithJsonSchema

from adapters.http.onboarding.schemas_npos import STRICT, NpoOut, Tag
from adapters.http.text import (
    Name,
    OptionalCountryCode,
    OptionalLongText,
    OptionalName,
    OptionalRichText,
    OptionalShortText,
    OptionalWebUrl,
    TextField,
    Title,
    WebUrl,
)
from commands.base import JsonInt
from commands.onboarding.messages import UploadTicket
from domain.onboarding.content import MAX_RESOURCE_BYTES
from domain.onboarding.offering_content import (
    ATTRIBUTE_KEY,
    ATTRIBUTE_TEXT,
    DUE,
    MAX_ATTRIBUTE_ITEMS,
    MAX_ATTRIBUTE_NUMBER,
    MAX_ATTRIBUTES,
    MAX_CATEGORIES,
    MAX_DEADLINES,
    MAX_LINKS,
    MAX_MODULES,
    MIN_ATTRIBUTE_NUMBER,
    MODULE_ID,
    RESOURCE_ID,
    ModuleKind,
    OfferingContent,
    OfferingDeadline,
    OfferingLink,
    OfferingLocation,
    OfferingModule,
)
from domain.onboarding.values import MAX_TAGS, SLUG
from domain.text import TITLE
from projections.onboarding.offerings import OfferingRow, ResourceRow
from queries.onboarding.offerings import DownloadLink

# --- Requests ------------------------------------------------------------------------

Slug = Annotated[str, TextField(SLUG)]
Due = Annotated[str, TextField(DUE)]
OptionalModuleId = Annotated[str, TextField(MODULE_ID, required=False)]
OptionalResourceId = Annotated[str, TextField(RESOURCE_ID, required=False)]
# A file name: a title without slashes.
FileName = Annotated[str, TextField(TITLE, excluding="/\\")]


def _attributes_schema() -> dict[str, Any]:
    """Offering-specific properties, as ``OfferingContent`` checks them."""
    scalar = {
        "anyOf": [
            TextField(ATTRIBUTE_TEXT, required=False).json_schema(),
            {
                "type": "number",
                "minimum": MIN_ATTRIBUTE_NUMBER,
                "maximum": MAX_ATTRIBUTE_NUMBER,
            },
            {"type": "boolean"},
            {"type": "null"},
        ]
    }
    return {
        "type": "object",
        "maxProperties": MAX_ATTRIBUTES,
        "propertyNames": {
            "maxLength": ATTRIBUTE_KEY.max_length,
            "pattern": ATTRIBUTE_KEY.pattern(required=True),
        },
        "additionalProperties": {
            "anyOf": [
                scalar,
                {"type": "array", "maxItems": MAX_ATTRIBUTE_ITEMS, "items": scalar},
            ]
        },
    }


# Checked by the domain (422 naming ``attributes.<key>``); described here.
Attributes = Annotated[dict[str, Any], WithJsonSchema(_attributes_schema())]


class LinkIn(BaseModel):
    model_config = STRICT
    title: Title
    url: WebUrl

    def to_value(self) -> OfferingLink:
        return OfferingLink(title=self.title, url=self.url)


class DeadlineIn(BaseModel):
    model_config = STRICT
    title: Title
    due: Due = Field(
        description="YYYY-MM-DD, or an ISO date-time with its offset.",
        # The pattern gives the shape; a real calendar date is what is taken.
        json_schema_extra={"anyOf": [{"format": "date"}, {"format": "date-time"}]},
    )

    def to_value(self) -> OfferingDeadline:
        return OfferingDeadline(title=self.title, due=self.due)


class ModuleIn(BaseModel):
    """A module; a link names its ``url``, a download its ``resource_id``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "allOf": [
                {
                    "if": {"properties": {"kind": {"const": kind}}},
                    "then": {
                        "required": [needs],
                        "properties": {needs: {"type": "string", "minLength": 1}},
                    },
                }
                for kind, needs in (("link", "url"), ("download", "resource_id"))
            ]
        },
    )
    # Empty or absent: a new module, given a new id.
    id: OptionalModuleId | None = Field(
        default=None, description="Keep it to keep progress; unique in the offering."
    )
    kind: Literal["assignment", "assessment", "reading", "link", "download"]
    title: Title
    description: OptionalLongText | None = None
    url: OptionalWebUrl | None = Field(default=None, description="Required for a link.")
    resource_id: OptionalResourceId | None = Field(
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
    model_config = STRICT
    region: OptionalName | None = None
    address: OptionalShortText | None = None
    remote: StrictBool = False
    country: OptionalCountryCode | None = Field(
        default=None, description="ISO 3166 alpha-2 code"
    )

    def to_value(self) -> OfferingLocation:
        return OfferingLocation(
            region=self.region,
            address=self.address,
            remote=self.remote,
            country=self.country,
        )


class OfferingIn(BaseModel):
    model_config = STRICT
    title: Title
    summary: OptionalShortText | None = None
    categories: list[Slug] = Field(
        min_length=1,
        max_length=MAX_CATEGORIES,
        description="Slugs from GET /offering-categories.",
    )
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)
    description_html: OptionalRichText = Field(
        default="",
        description="Rich text; scripts, handlers and unknown tags are removed.",
    )
    links: list[LinkIn] = Field(default_factory=list, max_length=MAX_LINKS)
    deadlines: list[DeadlineIn] = Field(default_factory=list, max_length=MAX_DEADLINES)
    modules: list[ModuleIn] = Field(default_factory=list, max_length=MAX_MODULES)
    location: OfferingLocationIn = Field(default_factory=OfferingLocationIn)
    eligibility: OptionalLongText | None = None
    attributes: Attributes = Field(
        default_factory=dict,
        description="Offering-specific properties (the schema varies per offering): "
        f"text, numbers, true/false, null, or lists of at most "
        f"{MAX_ATTRIBUTE_ITEMS} of those.",
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
    version: JsonInt = Field(ge=1, description="The version this edit starts from.")


class UploadIn(BaseModel):
    model_config = STRICT
    filename: FileName
    content_type: Literal[
        "application/pdf",
        "text/plain",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
    ]
    size: JsonInt = Field(
        gt=0,
        description="Bytes; at most 10 MiB (a larger file is refused: 413).",
        # The limit is the domain's, which answers 413 above it (not 422).
        json_schema_extra={"maximum": MAX_RESOURCE_BYTES},
    )


class CategoryIn(BaseModel):
    model_config = STRICT
    slug: Slug
    label: Name


# --- Responses -----------------------------------------------------------------------


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

    @classmethod
    def of(cls, resource: ResourceRow) -> ResourceOut:
        return cls(
            id=resource.id,
            filename=resource.filename,
            content_type=resource.content_type,
            state=resource.state.value,
            size=resource.size,
            declared_size=resource.declared_size,
            sha256=resource.sha256,
            reason=resource.reason,
            added_at=resource.added_at,
        )


class LinkOut(BaseModel):
    title: str
    url: str


class DeadlineOut(BaseModel):
    title: str
    due: str


class ModuleOut(BaseModel):
    id: str
    kind: Literal["assignment", "assessment", "reading", "link", "download"]
    title: str
    description: str | None
    url: str | None
    resource_id: str | None


class OfferingLocationOut(BaseModel):
    region: str | None
    address: str | None
    remote: bool
    country: str | None


class OfferingOut(BaseModel):
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
    links: list[LinkOut]
    deadlines: list[DeadlineOut]
    modules: list[ModuleOut]
    location: OfferingLocationOut
    eligibility: str | None = None
    attributes: dict[str, Any]
    resources: list[ResourceOut]
    created_at: str
    created_by: str | None = None
    updated_at: str

    @classmethod
    def of(cls, offering: OfferingRow) -> OfferingOut:
        content = offering.content
        return cls(
            id=offering.id,
            npo_id=offering.npo_id,
            version=offering.version,
            status=offering.status.value,
            status_reason=offering.status_reason,
            title=content.title,
            summary=content.summary,
            categories=list(content.categories),
            tags=list(content.tags),
            description_html=content.description_html,
            links=[LinkOut(title=k.title, url=k.url) for k in content.links],
            deadlines=[
                DeadlineOut(title=d.title, due=d.due) for d in content.deadlines
            ],
            modules=[
                ModuleOut(
                    id=m.id,
                    kind=m.kind.value,
                    title=m.title,
                    description=m.description,
                    url=m.url,
                    resource_id=m.resource_id,
                )
                for m in content.modules
            ],
            location=OfferingLocationOut(
                region=content.location.region,
                address=content.location.address,
                remote=content.location.remote,
                country=content.location.country,
            ),
            eligibility=content.eligibility,
            attributes=dict(content.attributes),
            resources=[ResourceOut.of(r) for r in offering.resources],
            created_at=offering.created_at,
            created_by=offering.created_by,
            updated_at=offering.updated_at,
        )


class OfferingPage(BaseModel):
    items: list[OfferingOut]
    next_cursor: str | None


class NpoReportOut(BaseModel):
    """NP5, first cut: the NPO, its offerings and how many are in each status."""

    npo: NpoOut
    offerings: list[OfferingOut]
    offering_counts: dict[str, int]


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


class CategoryOut(BaseModel):
    slug: str
    label: str
