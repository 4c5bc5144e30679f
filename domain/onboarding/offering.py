"""An NPO's offering (#6, #7, #8, NP2, NP3, A1).

The content's shape varies from one offering to another (the design keeps offerings
in a document database); here it is a validated JSON document carried by the events,
and the read side stores it in MongoDB. The aggregate's version is the document's
version: an edit names the version it started from and is refused if it is stale.

Resources are files in the object store. Upload is two steps: the NPO asks for an
upload (type and size are checked against the allow-list and the limit) and receives
a presigned URL; after uploading it asks to attach the file, and the bytes are checked
(``domain.onboarding.content.sniff``) before the resource becomes downloadable.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import event

from domain.base import (
    ConflictError,
    InvalidFieldError,
    NotAllowedError,
    NotFoundError,
    SpotlightAggregate,
)
from domain.onboarding import content as c
from domain.onboarding import values as v
from domain.onboarding.errors import (
    ResourceTooLargeError,
    UnreadableResourceError,
    VersionConflictError,
)
from domain.onboarding.richtext import sanitise_html


class OfferingStatus(StrEnum):
    ACTIVE = "ACTIVE"
    TAKEN_DOWN = "TAKEN_DOWN"
    DELETED = "DELETED"


class ResourceState(StrEnum):
    AWAITING_UPLOAD = "AWAITING_UPLOAD"
    READY = "READY"
    REJECTED = "REJECTED"


class ModuleKind(StrEnum):
    ASSIGNMENT = "assignment"
    ASSESSMENT = "assessment"
    READING = "reading"
    LINK = "link"
    DOWNLOAD = "download"


MAX_DESCRIPTION_CHARS = 50_000
MAX_LINKS = 30
MAX_DEADLINES = 20
MAX_MODULES = 100
MAX_ATTRIBUTES = 50
_MODULE_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
_FILENAME_FORBIDDEN = re.compile(r"[\\/\x00-\x1f\x7f]")


def _scalar(value: object, field: str) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return v.text(value, field, max_length=1000, required=False)
    raise InvalidFieldError(field, "must be text, a number, true/false or null")


def _attributes(raw: object) -> dict[str, Any]:
    attributes = v.mapping(raw, "attributes")
    if len(attributes) > MAX_ATTRIBUTES:
        raise InvalidFieldError("attributes", f"has more than {MAX_ATTRIBUTES} keys")
    result: dict[str, Any] = {}
    for key, value in attributes.items():
        if not isinstance(key, str) or not re.match(r"^[a-z][a-z0-9_]{0,49}$", key):
            raise InvalidFieldError(f"attributes.{key}", "is not a valid key")
        field = f"attributes.{key}"
        if isinstance(value, list):
            result[key] = [_scalar(item, field) for item in value[:50]]
        else:
            result[key] = _scalar(value, field)
    return result


def _when(value: object, field: str) -> str:
    """A date (``YYYY-MM-DD``) or a date-time with its offset, as ISO text."""
    raw = v.required_text(value, field, max_length=40)
    try:
        if len(raw) == 10:
            return date.fromisoformat(raw).isoformat()
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidFieldError(field, "must be an ISO date or date-time") from None
    if moment.tzinfo is None:
        raise InvalidFieldError(field, "a date-time needs its UTC offset")
    return moment.isoformat()


def validate_content(
    raw: Mapping[str, Any],
    categories: Collection[str],
    resource_ids: Collection[str] = (),
) -> dict[str, Any]:
    """Check and normalise an offering's content; the description is sanitised."""
    chosen = v.sequence(raw.get("categories"), "categories", max_items=10)
    if not chosen:
        raise InvalidFieldError("categories", "name at least one category")
    category_list: list[str] = []
    for i, category in enumerate(chosen):
        if category not in categories:
            raise InvalidFieldError(f"categories[{i}]", "is not a known category")
        if category not in category_list:
            category_list.append(category)
    description = raw.get("description_html") or ""
    if not isinstance(description, str):
        raise InvalidFieldError("description_html", "must be text")
    if len(description) > MAX_DESCRIPTION_CHARS:
        raise InvalidFieldError(
            "description_html", f"is longer than {MAX_DESCRIPTION_CHARS} characters"
        )
    links = []
    for i, link in enumerate(
        v.sequence(raw.get("links"), "links", max_items=MAX_LINKS)
    ):
        item = v.mapping(link, f"links[{i}]")
        links.append(
            {
                "title": v.required_text(
                    item.get("title"), f"links[{i}].title", max_length=200
                ),
                "url": v.url(item.get("url"), f"links[{i}].url"),
            }
        )
    deadlines = []
    raw_deadlines = v.sequence(
        raw.get("deadlines"), "deadlines", max_items=MAX_DEADLINES
    )
    for i, deadline in enumerate(raw_deadlines):
        item = v.mapping(deadline, f"deadlines[{i}]")
        deadlines.append(
            {
                "title": v.required_text(
                    item.get("title"), f"deadlines[{i}].title", max_length=200
                ),
                "due": _when(item.get("due"), f"deadlines[{i}].due"),
            }
        )
    modules = _modules(raw.get("modules"), resource_ids)
    location = v.mapping(raw.get("location"), "location")
    remote = location.get("remote", False)
    if not isinstance(remote, bool):
        raise InvalidFieldError("location.remote", "must be true or false")
    return {
        "title": v.required_text(raw.get("title"), "title", max_length=200),
        "summary": v.text(
            raw.get("summary"), "summary", max_length=500, required=False
        ),
        "categories": category_list,
        "tags": v.tags(v.sequence(raw.get("tags"), "tags", max_items=30), "tags"),
        "description_html": sanitise_html(description),
        "links": links,
        "deadlines": deadlines,
        "modules": modules,
        "location": {
            "region": v.text(
                location.get("region"),
                "location.region",
                max_length=100,
                required=False,
            ),
            "address": v.text(
                location.get("address"),
                "location.address",
                max_length=300,
                required=False,
            ),
            "remote": remote,
        },
        "eligibility": v.text(
            raw.get("eligibility"),
            "eligibility",
            max_length=2000,
            required=False,
            multiline=True,
        ),
        "attributes": _attributes(raw.get("attributes")),
    }


def _modules(raw: object, resource_ids: Collection[str]) -> list[dict[str, Any]]:
    modules: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, module in enumerate(v.sequence(raw, "modules", max_items=MAX_MODULES)):
        field = f"modules[{i}]"
        item = v.mapping(module, field)
        module_id = item.get("id") or uuid4().hex
        if not isinstance(module_id, str) or not _MODULE_ID.match(module_id):
            raise InvalidFieldError(f"{field}.id", "is not a valid id")
        if module_id in seen:
            raise InvalidFieldError(f"{field}.id", "is used twice")
        seen.add(module_id)
        try:
            kind = ModuleKind(str(item.get("kind")))
        except ValueError:
            kinds = ", ".join(k.value for k in ModuleKind)
            raise InvalidFieldError(
                f"{field}.kind", f"must be one of {kinds}"
            ) from None
        entry: dict[str, Any] = {
            "id": module_id,
            "kind": kind.value,
            "title": v.required_text(
                item.get("title"), f"{field}.title", max_length=200
            ),
            "description": v.text(
                item.get("description"),
                f"{field}.description",
                max_length=2000,
                required=False,
                multiline=True,
            ),
            "url": v.url(
                item.get("url"), f"{field}.url", required=kind is ModuleKind.LINK
            ),
            "resource_id": None,
        }
        if kind is ModuleKind.DOWNLOAD:
            resource_id = item.get("resource_id")
            if resource_id not in resource_ids:
                raise InvalidFieldError(
                    f"{field}.resource_id", "must name a resource of this offering"
                )
            entry["resource_id"] = resource_id
        modules.append(entry)
    return modules


def resource_key(offering_id: UUID | str, resource_id: str) -> str:
    """Where a resource's bytes live in the object store."""
    return f"offerings/{offering_id}/resources/{resource_id}"


class Offering(SpotlightAggregate):
    """An offering's content, resources and status; its version is its edit number."""

    class Created(SpotlightAggregate.Created):
        npo_id: str
        content: dict[str, Any]

    @event(Created)
    def __init__(self, *, npo_id: str, content: dict[str, Any]) -> None:
        self.npo_id = npo_id
        self.content = content
        self.status = OfferingStatus.ACTIVE.value
        self.status_reason: str | None = None
        self.resources: dict[str, dict[str, Any]] = {}

    @classmethod
    def create(
        cls,
        npo_id: UUID | str,
        raw: Mapping[str, Any],
        categories: Collection[str],
    ) -> Offering:
        """The caller has checked that the actor may publish for the NPO."""
        offering: Offering = cls._create(
            cls.Created,
            npo_id=str(npo_id),
            content=validate_content(raw, categories),
        )
        return offering

    @property
    def is_active(self) -> bool:
        return self.status == OfferingStatus.ACTIVE.value

    @property
    def categories(self) -> list[str]:
        return list(self.content.get("categories", []))

    @property
    def tags(self) -> list[str]:
        return list(self.content.get("tags", []))

    def require_active(self) -> None:
        if not self.is_active:
            raise ConflictError(
                "The offering was taken down or deleted; it can no longer change."
            )

    def require_version(self, expected_version: int | None) -> None:
        if expected_version is not None and expected_version != self.version:
            raise VersionConflictError(expected_version, self.version)

    # -- Content --------------------------------------------------------------------

    class Updated(SpotlightAggregate.Event):
        content: dict[str, Any]

    def update(
        self,
        raw: Mapping[str, Any],
        categories: Collection[str],
        expected_version: int | None,
    ) -> None:
        self.require_active()
        self.require_version(expected_version)
        usable = [
            rid
            for rid, r in self.resources.items()
            if r["state"] != ResourceState.REJECTED.value
        ]
        # A category an admin has since retired may stay on an offering that had it.
        content = validate_content(raw, {*categories, *self.categories}, usable)
        if content != self.content:
            self._update(content=content)

    @event(Updated)
    def _update(self, content: dict[str, Any]) -> None:
        self.content = content

    # -- Resources ------------------------------------------------------------------

    class ResourceUploadStarted(SpotlightAggregate.Event):
        resource_id: str
        filename: str
        content_type: str
        declared_size: int
        key: str

    class ResourceAttached(SpotlightAggregate.Event):
        resource_id: str
        content_type: str
        size: int
        sha256: str

    class ResourceRejected(SpotlightAggregate.Event):
        resource_id: str
        reason: str

    class ResourceRemoved(SpotlightAggregate.Event):
        resource_id: str

    def start_upload(self, filename: str, content_type: str, size: int) -> str:
        """Check what the uploader claims; returns the new resource's id."""
        self.require_active()
        name = v.required_text(filename, "filename", max_length=200)
        if _FILENAME_FORBIDDEN.search(name) or name in {".", ".."}:
            raise InvalidFieldError("filename", "must be a plain file name")
        if content_type not in c.READABLE_TYPES:
            allowed = ", ".join(sorted(c.READABLE_TYPES))
            raise UnreadableResourceError(
                "content_type", f"only readable files are accepted ({allowed})"
            )
        if not c.extension_matches(name, content_type):
            raise InvalidFieldError(
                "filename", f"the extension does not match {content_type}"
            )
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
            raise InvalidFieldError("size", "must be a positive number of bytes")
        if size > c.MAX_RESOURCE_BYTES:
            raise ResourceTooLargeError(
                "size", f"a file may be at most {c.MAX_RESOURCE_BYTES} bytes"
            )
        live = [r for r in self.resources.values() if r["state"] != "REJECTED"]
        if len(live) >= c.MAX_RESOURCES_PER_OFFERING:
            raise ConflictError(
                f"An offering has at most {c.MAX_RESOURCES_PER_OFFERING} resources."
            )
        resource_id = uuid4().hex
        self._start_upload(
            resource_id=resource_id,
            filename=name,
            content_type=content_type,
            declared_size=size,
            key=resource_key(self.id, resource_id),
        )
        return resource_id

    @event(ResourceUploadStarted)
    def _start_upload(
        self,
        resource_id: str,
        filename: str,
        content_type: str,
        declared_size: int,
        key: str,
    ) -> None:
        self.resources[resource_id] = {
            "filename": filename,
            "content_type": content_type,
            "declared_size": declared_size,
            "key": key,
            "state": ResourceState.AWAITING_UPLOAD.value,
            "size": None,
            "sha256": None,
            "reason": None,
        }

    def resource(self, resource_id: str) -> dict[str, Any]:
        try:
            return self.resources[resource_id]
        except KeyError:
            raise NotFoundError("No such resource.") from None

    def attach_upload(
        self, resource_id: str, size: int, sniffed: str | None, sha256: str
    ) -> str | None:
        """Judge the uploaded bytes; returns the reason when they are refused.

        A refusal is recorded (the caller deletes the bytes); it is not raised, so
        the event is saved before the caller answers with the reason.
        """
        self.require_active()
        resource = self.resource(resource_id)
        if resource["state"] == ResourceState.READY.value:
            return None  # attached already: attaching again changes nothing
        if resource["state"] != ResourceState.AWAITING_UPLOAD.value:
            raise ConflictError("The upload was refused; start a new one.")
        reason: str | None = None
        if size > c.MAX_RESOURCE_BYTES:
            reason = f"the file is larger than {c.MAX_RESOURCE_BYTES} bytes"
        elif sniffed is None:
            reason = "the content is not a PDF, plain text or a supported image"
        elif sniffed != resource["content_type"]:
            reason = f"the content is {sniffed}, not {resource['content_type']}"
        if reason is not None:
            self._reject_resource(resource_id=resource_id, reason=reason)
            return reason
        assert sniffed is not None
        self._attach_resource(
            resource_id=resource_id, content_type=sniffed, size=size, sha256=sha256
        )
        return None

    @event(ResourceAttached)
    def _attach_resource(
        self, resource_id: str, content_type: str, size: int, sha256: str
    ) -> None:
        self.resources[resource_id].update(
            state=ResourceState.READY.value,
            content_type=content_type,
            size=size,
            sha256=sha256,
        )

    @event(ResourceRejected)
    def _reject_resource(self, resource_id: str, reason: str) -> None:
        self.resources[resource_id].update(
            state=ResourceState.REJECTED.value, reason=reason
        )

    def remove_resource(self, resource_id: str) -> str:
        """Remove a resource no module uses; returns its object-store key."""
        self.require_active()
        resource = self.resource(resource_id)
        used = [
            m["id"] for m in self.content["modules"] if m["resource_id"] == resource_id
        ]
        if used:
            raise ConflictError(
                f"Modules {', '.join(used)} use this resource; change them first."
            )
        self._remove_resource(resource_id=resource_id)
        return str(resource["key"])

    @event(ResourceRemoved)
    def _remove_resource(self, resource_id: str) -> None:
        del self.resources[resource_id]

    # -- Takedown and deletion ------------------------------------------------------

    class TakenDown(SpotlightAggregate.Event):
        reason: str

    class Deleted(SpotlightAggregate.Event):
        pass

    def take_down(self, actor_roles: Collection[str] | None, reason: str) -> None:
        """An admin takes an offering down (A1); the system does when its NPO goes.

        ``actor_roles`` is None for the system. Taking down twice changes nothing.
        """
        if actor_roles is not None and v.ROLE_ADMIN not in actor_roles:
            raise NotAllowedError("Only an admin takes an offering down.")
        if not self.is_active:
            return
        why = v.required_text(reason, "reason", max_length=2000)
        self._take_down(reason=why)

    @event(TakenDown)
    def _take_down(self, reason: str) -> None:
        self.status = OfferingStatus.TAKEN_DOWN.value
        self.status_reason = reason

    def delete(self, expected_version: int | None = None) -> list[str]:
        """The NPO deletes its offering (NP3); returns the keys of its files."""
        if self.status == OfferingStatus.DELETED.value:
            return []
        self.require_version(expected_version)
        keys = [str(r["key"]) for r in self.resources.values()]
        self._delete()
        return keys

    @event(Deleted)
    def _delete(self) -> None:
        self.status = OfferingStatus.DELETED.value
