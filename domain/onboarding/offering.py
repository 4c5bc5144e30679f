"""An NPO's offering (#6, #7, #8, NP2, NP3, A1).

An ``Offering`` holds its content (``OfferingContent``: its shape varies from one
offering to another, and the read side keeps it in MongoDB), its resources
(``Resource``: files in the object store) and its status. The aggregate's version is
the document's version: an edit names the version it started from and is refused if
it is stale.

Lifecycle: created ``ACTIVE`` by a member of its NPO with the NPO role; its content
is replaced and its files are claimed, attached (judged by their bytes, and then
kept where no upload URL writes: ``domain.onboarding.resource``) or removed while it
is active; an admin takes it down (``TAKEN_DOWN``, A1; so does the
platform when its NPO is deleted) or the NPO deletes it (``DELETED``, NP3). Taken
down or deleted, it no longer changes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import event

from domain.base import (
    ConflictError,
    NotAllowedError,
    NotFoundError,
    SpotlightAggregate,
)
from domain.onboarding import content as c
from domain.onboarding import values as v
from domain.onboarding.errors import VersionConflictError
from domain.onboarding.offering_content import OfferingContent
from domain.onboarding.resource import (
    Resource,
    ResourceState,
    UploadClaim,
    is_accepted_key,
    legacy_key,
    upload_key,
)
from domain.text import LONG_TEXT


class OfferingStatus(StrEnum):
    ACTIVE = "ACTIVE"
    TAKEN_DOWN = "TAKEN_DOWN"
    DELETED = "DELETED"


class Offering(SpotlightAggregate):
    """An offering's content, resources and status; its version is its edit number."""

    class Created(SpotlightAggregate.Created):
        npo_id: str
        content: dict[str, Any]

    @event(Created)
    def __init__(self, *, npo_id: str, content: dict[str, Any]) -> None:
        self.npo_id = npo_id
        self.content = OfferingContent.from_state(content)
        self.status = OfferingStatus.ACTIVE.value
        self.status_reason: str | None = None
        self.resources: dict[str, Resource] = {}

    @classmethod
    def create(
        cls,
        npo_id: UUID | str,
        content: OfferingContent,
        categories: Collection[str],
    ) -> Offering:
        """The caller has checked that the actor may publish for the NPO.

        ``categories``: the known ones. A new offering has no files yet, so no
        module may be a download.
        """
        content.require_known_categories(categories)
        content.require_resources(())
        offering: Offering = cls._create(
            cls.Created, npo_id=str(npo_id), content=content.to_state()
        )
        return offering

    @property
    def is_active(self) -> bool:
        return self.status == OfferingStatus.ACTIVE.value

    @property
    def categories(self) -> list[str]:
        return list(self.content.categories)

    @property
    def tags(self) -> list[str]:
        return list(self.content.tags)

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
        content: OfferingContent,
        categories: Collection[str],
        expected_version: int | None,
    ) -> None:
        self.require_active()
        self.require_version(expected_version)
        # A category an admin has since retired may stay on an offering that had it.
        content.require_known_categories({*categories, *self.categories})
        content.require_resources([k for k, r in self.resources.items() if r.usable])
        if content != self.content:
            self._update(content=content.to_state())

    @event(Updated)
    def _update(self, content: dict[str, Any]) -> None:
        self.content = OfferingContent.from_state(content)

    # -- Resources ------------------------------------------------------------------

    class ResourceUploadStarted(SpotlightAggregate.Event):
        resource_id: str
        filename: str
        content_type: str
        declared_size: int
        key: str

    class ResourceAttached(SpotlightAggregate.Event):
        """v2 records ``key``: the accepted key the judged bytes were stored under."""

        resource_id: str
        content_type: str
        size: int
        sha256: str
        key: str
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # v1 attached the bytes where they were uploaded: the old upload key.
            state["key"] = legacy_key(state["originator_id"], state["resource_id"])

    class ResourceRejected(SpotlightAggregate.Event):
        resource_id: str
        reason: str

    class ResourceRemoved(SpotlightAggregate.Event):
        resource_id: str

    def start_upload(self, filename: str, content_type: str, size: int) -> str:
        """Check what the uploader claims; returns the new resource's id."""
        self.require_active()
        claim = UploadClaim.of(filename, content_type, size)
        live = [r for r in self.resources.values() if r.usable]
        if len(live) >= c.MAX_RESOURCES_PER_OFFERING:
            raise ConflictError(
                f"An offering has at most {c.MAX_RESOURCES_PER_OFFERING} resources."
            )
        resource_id = uuid4().hex
        self._start_upload(
            resource_id=resource_id,
            filename=claim.filename,
            content_type=claim.content_type,
            declared_size=claim.size,
            key=upload_key(self.id, resource_id),
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
        self.resources[resource_id] = Resource(
            filename=filename,
            content_type=content_type,
            declared_size=declared_size,
            key=key,
        )

    def resource(self, resource_id: str) -> Resource:
        try:
            return self.resources[resource_id]
        except KeyError:
            raise NotFoundError("No such resource.") from None

    def attach_upload(
        self,
        resource_id: str,
        size: int,
        sniffed: str | None,
        sha256: str,
        accepted_key: str | None,
    ) -> str | None:
        """Judge the uploaded bytes; returns the reason when they are refused.

        ``accepted_key``: where the caller stored the bytes it judged, a key no
        upload URL writes (``None`` only for bytes that are refused). A refusal is
        recorded (the caller deletes the bytes); it is not raised, so the event is
        saved before the caller answers with the reason.
        """
        self.require_active()
        resource = self.resource(resource_id)
        if resource.state is ResourceState.READY:
            return None  # attached already: attaching again changes nothing
        if resource.state is not ResourceState.AWAITING_UPLOAD:
            raise ConflictError("The upload was refused; start a new one.")
        reason = resource.verdict(size, sniffed)
        if reason is not None:
            self._reject_resource(resource_id=resource_id, reason=reason)
            return reason
        assert sniffed is not None
        if accepted_key is None or not is_accepted_key(
            accepted_key, self.id, resource_id
        ):
            raise ValueError(f"not an accepted key of the resource: {accepted_key!r}")
        self._attach_resource(
            resource_id=resource_id,
            content_type=sniffed,
            size=size,
            sha256=sha256,
            key=accepted_key,
        )
        return None

    @event(ResourceAttached)
    def _attach_resource(
        self, resource_id: str, content_type: str, size: int, sha256: str, key: str
    ) -> None:
        self.resources[resource_id] = dataclasses.replace(
            self.resources[resource_id],
            state=ResourceState.READY,
            content_type=content_type,
            size=size,
            sha256=sha256,
            key=key,
        )

    @event(ResourceRejected)
    def _reject_resource(self, resource_id: str, reason: str) -> None:
        self.resources[resource_id] = dataclasses.replace(
            self.resources[resource_id], state=ResourceState.REJECTED, reason=reason
        )

    def remove_resource(self, resource_id: str) -> str:
        """Remove a resource no module uses; returns its object-store key (once
        removed, nothing uploaded for it is ever attached or served)."""
        self.require_active()
        resource = self.resource(resource_id)
        used = self.content.modules_using(resource_id)
        if used:
            raise ConflictError(
                f"Modules {', '.join(used)} use this resource; change them first."
            )
        self._remove_resource(resource_id=resource_id)
        return resource.key

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
        why = LONG_TEXT.required(reason, "reason")
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
        keys = [r.key for r in self.resources.values()]
        self._delete()
        return keys

    @event(Deleted)
    def _delete(self) -> None:
        self.status = OfferingStatus.DELETED.value
