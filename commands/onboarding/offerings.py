"""Offering commands (NP2, NP3, #7, A1) and resource uploads through the blob store.

Uploads are two steps. ``start_upload`` checks the declared type and size and
answers a presigned PUT URL (the bytes never pass through the API). ``attach_upload``
reads what arrived, judges it by its content (``domain.onboarding.content.sniff``)
and either attaches it or records the refusal and deletes the bytes.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from uuid import UUID

from commands.base import CommandResult
from commands.onboarding.application import (
    Actor,
    OnboardingApplication,
    UnitOfWork,
    run,
)
from domain.base import ConflictError
from domain.onboarding.content import MAX_RESOURCE_BYTES, sniff
from domain.onboarding.errors import ResourceTooLargeError, UnreadableResourceError
from domain.onboarding.offering import Offering
from domain.onboarding.offering_content import OfferingContent
from domain.onboarding.resource import ResourceState
from ports.blobs import BlobNotFoundError, BlobStore

logger = logging.getLogger(__name__)

UPLOAD_URL_SECONDS = 15 * 60


def _publisher_unit(
    unit: UnitOfWork, actor: Actor, offering_id: UUID | str
) -> Offering:
    offering = unit.offering(offering_id)
    unit.npo(offering.npo_id).require_publisher(actor.user_id, actor.roles)
    return offering


def create_offering(
    app: OnboardingApplication,
    actor: Actor,
    npo_id: UUID | str,
    content: OfferingContent,
) -> CommandResult:
    """A member with the NPO role adds an offering; the id comes first in ``ids``."""

    def decide(unit: UnitOfWork) -> None:
        npo = unit.npo(npo_id)
        npo.require_publisher(actor.user_id, actor.roles)
        unit.add(Offering.create(npo.id, content, unit.categories()), primary=True)

    return run(app, actor, decide)


def update_offering(
    app: OnboardingApplication,
    actor: Actor,
    offering_id: UUID | str,
    content: OfferingContent,
    expected_version: int | None,
) -> CommandResult:
    def decide(unit: UnitOfWork) -> None:
        offering = _publisher_unit(unit, actor, offering_id)
        offering.update(content, unit.categories(), expected_version)

    return run(app, actor, decide)


def delete_offering(
    app: OnboardingApplication,
    blobs: BlobStore,
    actor: Actor,
    offering_id: UUID | str,
    expected_version: int | None,
) -> CommandResult:
    """The NPO deletes its offering (NP3); its files are deleted after the event."""
    keys: list[str] = []

    def decide(unit: UnitOfWork) -> None:
        offering = _publisher_unit(unit, actor, offering_id)
        keys[:] = offering.delete(expected_version)

    result = run(app, actor, decide)
    for key in keys:
        _delete_quietly(blobs, key)
    return result


def take_down_offering(
    app: OnboardingApplication, actor: Actor, offering_id: UUID | str, reason: str
) -> CommandResult:
    """An admin takes an offering down (A1); the NPO can no longer change it."""

    def decide(unit: UnitOfWork) -> None:
        unit.offering(offering_id).take_down(actor.roles, reason)

    return run(app, actor, decide)


@dataclass(frozen=True)
class UploadTicket:
    result: CommandResult
    resource_id: str
    upload_url: str
    content_type: str
    expires_in_seconds: int


def start_upload(
    app: OnboardingApplication,
    blobs: BlobStore,
    actor: Actor,
    offering_id: UUID | str,
    *,
    filename: str,
    content_type: str,
    size: int,
) -> UploadTicket:
    """Check the claim, record the pending resource, answer a presigned PUT URL."""
    created: dict[str, str] = {}

    def decide(unit: UnitOfWork) -> None:
        offering = _publisher_unit(unit, actor, offering_id)
        resource_id = offering.start_upload(filename, content_type, size)
        created.update(id=resource_id, key=offering.resource(resource_id).key)

    result = run(app, actor, decide)
    url = blobs.presigned_put_url(
        created["key"], content_type, UPLOAD_URL_SECONDS, content_length=size
    )
    return UploadTicket(result, created["id"], url, content_type, UPLOAD_URL_SECONDS)


def attach_upload(
    app: OnboardingApplication,
    blobs: BlobStore,
    actor: Actor,
    offering_id: UUID | str,
    resource_id: str,
) -> CommandResult:
    """Judge the uploaded bytes by their content; attach them or refuse them.

    A refusal is recorded (``Offering.ResourceRejected``), the bytes are deleted, and
    then it is raised: ``ResourceTooLargeError`` or ``UnreadableResourceError``.
    """
    peek = UnitOfWork(app)
    offering = _publisher_unit(peek, actor, offering_id)
    resource = offering.resource(resource_id)
    if resource.state is ResourceState.READY:
        return CommandResult((str(offering.id),), app.name, None)
    if resource.state is not ResourceState.AWAITING_UPLOAD:
        raise ConflictError("The upload was refused; start a new one.")
    key = resource.key
    try:
        info = blobs.head(key)
    except BlobNotFoundError:
        raise ConflictError("Nothing was uploaded yet.") from None
    if info.size > MAX_RESOURCE_BYTES:
        size, sniffed, digest = info.size, None, ""
    else:
        data = blobs.get(key)
        size, sniffed, digest = len(data), sniff(data), hashlib.sha256(data).hexdigest()
    verdict: dict[str, str | None] = {}

    def decide(unit: UnitOfWork) -> None:
        current = _publisher_unit(unit, actor, offering_id)
        verdict["reason"] = current.attach_upload(resource_id, size, sniffed, digest)

    result = run(app, actor, decide)
    reason = verdict.get("reason")
    if reason is not None:
        _delete_quietly(blobs, key)
        if size > MAX_RESOURCE_BYTES:
            raise ResourceTooLargeError("file", f"refused: {reason}")
        raise UnreadableResourceError("file", f"refused: {reason}")
    return result


def remove_resource(
    app: OnboardingApplication,
    blobs: BlobStore,
    actor: Actor,
    offering_id: UUID | str,
    resource_id: str,
) -> CommandResult:
    removed: list[str] = []

    def decide(unit: UnitOfWork) -> None:
        offering = _publisher_unit(unit, actor, offering_id)
        removed[:] = [offering.remove_resource(resource_id)]

    result = run(app, actor, decide)
    for key in removed:
        _delete_quietly(blobs, key)
    return result


def _delete_quietly(blobs: BlobStore, key: str) -> None:
    try:
        blobs.delete(key)
    except Exception:  # noqa: BLE001 - an orphaned file is harmless; log it
        logger.warning("could not delete blob %s", key)
