"""Handlers of the offering messages (NP2, NP3, #7, A1), the offering flow's
``RecordOffering``, and resource uploads through the object store.

Uploads are two steps. ``start_upload`` checks the claim and answers a presigned PUT
URL for the resource's upload key (the bytes never pass through the API).
``attach_upload`` reads what arrived, judges it by its content
(``domain.onboarding.content.sniff``) and either stores those very bytes under an
accepted key (which no URL writes) and attaches them, or records the refusal; the
upload key's bytes are deleted either way. A presigned URL cannot be revoked: what
it writes after that is never read (see ``domain.onboarding.resource``). Files of a
deleted offering or a removed resource are deleted after the event is saved.
"""

from __future__ import annotations

import hashlib
import logging
from uuid import UUID, uuid4

from commands.base import Actor, CommandResult
from commands.onboarding.application import OnboardingApplication, UnitOfWork, run
from commands.onboarding.assignment import place_and_assign
from commands.onboarding.messages import (
    AttachUpload,
    CreateOffering,
    DeleteOffering,
    RecordOffering,
    RemoveResource,
    StartUpload,
    TakeDownOffering,
    UpdateOffering,
    UploadTicket,
)
from commands.onboarding.npo_handlers import NPO_DELETED_REASON
from domain.base import ConflictError, DomainError, NotFoundError
from domain.onboarding.content import MAX_RESOURCE_BYTES, sniff
from domain.onboarding.errors import ResourceTooLargeError, UnreadableResourceError
from domain.onboarding.offering import Offering
from domain.onboarding.resource import Resource, ResourceState, accepted_key
from ports.blobs import BlobNotFoundError, BlobStore

logger = logging.getLogger(__name__)

UPLOAD_URL_SECONDS = 15 * 60


class OfferingMismatchError(NotFoundError):
    """The message names an offering of another NPO (it can never be handled)."""


def _published(unit: UnitOfWork, actor: Actor, offering_id: UUID) -> Offering:
    """The offering, if the actor may change it: a member with the NPO role."""
    offering = unit.offering(offering_id)
    unit.npo(offering.npo_id).require_publisher(actor.user_id, actor.roles)
    return offering


def create_offering(
    app: OnboardingApplication, command: CreateOffering
) -> CommandResult:
    """A member with the NPO role adds an offering; its id comes first in ``ids``."""
    actor = command.actor

    def decide(unit: UnitOfWork) -> None:
        npo = unit.npo(command.npo_id)
        npo.require_publisher(actor.user_id, actor.roles)
        offering = Offering.create(npo.id, command.content, unit.categories())
        unit.add(offering, primary=True)

    return run(app, actor, decide)


def update_offering(
    app: OnboardingApplication, command: UpdateOffering
) -> CommandResult:
    def decide(unit: UnitOfWork) -> None:
        offering = _published(unit, command.actor, command.offering_id)
        offering.update(command.content, unit.categories(), command.expected_version)

    return run(app, command.actor, decide)


def delete_offering(
    app: OnboardingApplication, command: DeleteOffering
) -> CommandResult:
    """The NPO deletes its offering (NP3); its files are deleted after the event."""
    keys: list[str] = []

    def decide(unit: UnitOfWork) -> None:
        offering = _published(unit, command.actor, command.offering_id)
        keys[:] = offering.delete(command.expected_version)

    result = run(app, command.actor, decide)
    for key in keys:
        _delete_quietly(app.blobs, key)
    return result


def take_down_offering(
    app: OnboardingApplication, command: TakeDownOffering
) -> CommandResult:
    """An admin takes an offering down (A1); the NPO can no longer change it."""

    def decide(unit: UnitOfWork) -> None:
        offering = unit.offering(command.offering_id)
        offering.take_down(command.actor.roles, command.reason)

    return run(app, command.actor, decide)


def start_upload(app: OnboardingApplication, command: StartUpload) -> UploadTicket:
    """Check the claim, record the pending resource, answer a presigned PUT URL."""
    blobs = app.file_store()
    created: dict[str, str] = {}

    def decide(unit: UnitOfWork) -> None:
        offering = _published(unit, command.actor, command.offering_id)
        resource_id = offering.start_upload(
            command.filename, command.content_type, command.size
        )
        created.update(id=resource_id, key=offering.resource(resource_id).key)

    result = run(app, command.actor, decide)
    url = blobs.presigned_put_url(
        created["key"],  # the upload key: the only kind of key a URL is signed for
        command.content_type,
        UPLOAD_URL_SECONDS,
        content_length=command.size,
    )
    return UploadTicket(
        result, created["id"], url, command.content_type, UPLOAD_URL_SECONDS
    )


def attach_upload(app: OnboardingApplication, command: AttachUpload) -> CommandResult:
    """Judge the uploaded bytes by their content; attach them or refuse them.

    Accepted bytes are stored under a fresh accepted key *before* the event names it
    (a refused save deletes them again); the bytes stored are the bytes judged and
    hashed, so a later write to the upload key changes nothing attached. A refusal
    is recorded (``Offering.ResourceRejected``) and then raised:
    ``ResourceTooLargeError`` or ``UnreadableResourceError``.
    """
    blobs = app.file_store()
    actor, resource_id = command.actor, command.resource_id
    offering = _published(UnitOfWork(app), actor, command.offering_id)
    resource = offering.resource(resource_id)
    done = CommandResult((str(offering.id),), app.name, None)
    if resource.state is ResourceState.READY:
        return done
    if resource.state is not ResourceState.AWAITING_UPLOAD:
        raise ConflictError("The upload was refused; start a new one.")
    uploaded = _read_upload(blobs, resource)
    if uploaded is None:
        again = _published(UnitOfWork(app), actor, command.offering_id)
        if again.resource(resource_id).state is ResourceState.READY:
            return done  # a concurrent attach consumed the upload first
        raise ConflictError("Nothing was uploaded yet.")
    size, data = uploaded
    sniffed = None if data is None else sniff(data)
    digest = "" if data is None else hashlib.sha256(data).hexdigest()
    stored: str | None = None
    if data is not None and sniffed and resource.verdict(size, sniffed) is None:
        # Accepted: the judged bytes go where no upload URL writes.
        stored = accepted_key(offering.id, resource_id, uuid4().hex)
        blobs.put(stored, data, sniffed)
    verdict: dict[str, str | None] = {}

    def decide(unit: UnitOfWork) -> None:
        current = _published(unit, actor, command.offering_id)
        verdict["reason"] = current.attach_upload(
            resource_id, size, sniffed, digest, stored
        )
        verdict["key"] = current.resource(resource_id).key

    try:
        result = run(app, actor, decide)
    except DomainError:
        # Refused (removed, rejected meanwhile): nothing names the stored bytes.
        # After any other failure the save may have happened; they stay.
        if stored is not None:
            _delete_quietly(blobs, stored)
        raise
    if stored is not None and verdict.get("key") != stored:
        _delete_quietly(blobs, stored)  # a concurrent attach's bytes were kept
    _delete_quietly(blobs, resource.key)  # the upload is consumed either way
    reason = verdict.get("reason")
    if reason is not None:
        if size > MAX_RESOURCE_BYTES:
            raise ResourceTooLargeError("file", f"refused: {reason}")
        raise UnreadableResourceError("file", f"refused: {reason}")
    return result


def _read_upload(
    blobs: BlobStore, resource: Resource
) -> tuple[int, bytes | None] | None:
    """What arrived at the upload key: its size, and its bytes unless it is larger
    than any file may be (``None``: nothing arrived)."""
    try:
        info = blobs.head(resource.key)
        if info.size > MAX_RESOURCE_BYTES:
            return info.size, None
        data = blobs.get(resource.key)
    except BlobNotFoundError:
        return None
    return len(data), data


def remove_resource(
    app: OnboardingApplication, command: RemoveResource
) -> CommandResult:
    """Remove a file no module uses; its bytes are deleted after the event."""
    removed: list[str] = []

    def decide(unit: UnitOfWork) -> None:
        offering = _published(unit, command.actor, command.offering_id)
        removed[:] = [offering.remove_resource(command.resource_id)]

    result = run(app, command.actor, decide)
    for key in removed:
        _delete_quietly(app.blobs, key)
    return result


def record_offering(
    app: OnboardingApplication, command: RecordOffering
) -> CommandResult:
    """The offering flow: map the offering to its NPO; the first one completes a
    PENDING NPO, places it and assigns its leader, in one transaction.

    Idempotent by state, so a duplicate, a replay or a late message has no second
    effect: an offering the NPO has recorded is not recorded again, and an NPO that
    is no longer ``PENDING`` is not completed again. A message that arrives after its
    NPO was deleted takes the offering down instead (it was created in the race with
    the deletion).
    """

    def decide(unit: UnitOfWork) -> None:
        npo = unit.npo(command.npo_id)
        offering = unit.offering(command.offering_id)
        if offering.npo_id != str(npo.id):
            raise OfferingMismatchError("The offering belongs to another NPO.")
        if npo.deleted:
            offering.take_down(None, NPO_DELETED_REASON)
            return
        if npo.record_offering(str(offering.id)):
            place_and_assign(
                unit, npo, [*npo.service_areas, *offering.categories, *offering.tags]
            )

    return run(app, command.actor, decide, assignment=True)


def _delete_quietly(blobs: BlobStore | None, key: str) -> None:
    if blobs is None:
        return
    try:
        blobs.delete(key)
    except Exception:  # noqa: BLE001 - an orphaned file is harmless; log it
        logger.warning("could not delete blob %s", key)
