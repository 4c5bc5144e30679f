"""Reads of offerings as the viewer may see them, and links to download their
files."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Collection
from dataclasses import dataclass

from domain.base import GoneError, NotFoundError
from domain.onboarding.offering import OfferingStatus
from domain.onboarding.resource import ResourceState, is_accepted_key
from ports.blobs import BlobNotFoundError, BlobStore
from ports.documents import DocumentStore
from ports.relational import RelationalStore
from projections.onboarding.npo_reader import NpoReader
from projections.onboarding.offerings import OfferingReader, OfferingRow, ResourceRow
from queries.cursors import encode_cursor
from queries.onboarding.npos import visible_npo
from queries.onboarding.pages import Page, after, page_size
from queries.onboarding.viewer import Viewer

logger = logging.getLogger(__name__)

DOWNLOAD_URL_SECONDS = 5 * 60


def get_offering(
    views: RelationalStore,
    documents: DocumentStore,
    viewer: Viewer,
    offering_id: str,
) -> OfferingRow:
    """The offering if the viewer may see it (else, to them, there is none)."""
    found = OfferingReader(views, documents).get(offering_id)
    if found is None or found.status is OfferingStatus.DELETED:
        raise NotFoundError("No such offering.")
    npo = NpoReader(views).get(found.npo_id)
    if not viewer.may_see_offering(found, npo):
        raise NotFoundError("No such offering.")
    return found


def offerings_of_npo(
    views: RelationalStore,
    documents: DocumentStore,
    viewer: Viewer,
    npo_id: str,
    *,
    statuses: Collection[str] = ("ACTIVE",),
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[OfferingRow]:
    """An NPO's offerings the viewer may see, oldest first. Insiders may ask for
    other statuses than ``ACTIVE``; ``NotFoundError`` when the NPO is not visible.
    """
    npo = visible_npo(views, viewer, npo_id)
    known = {s.value for s in OfferingStatus}
    wanted = {OfferingStatus(s) for s in statuses if s in known}
    allowed = wanted if viewer.is_insider(npo) else {OfferingStatus.ACTIVE} & wanted
    if not allowed:
        return Page([], None)
    found = OfferingReader(views, documents).of_npo(npo_id, allowed)
    start = after(cursor)
    if start is not None:
        found = [o for o in found if (o.created_at, o.id) > tuple(start)]
    size = page_size(limit)
    items = found[:size]
    more = len(found) > size
    next_cursor = (
        encode_cursor(items[-1].created_at, items[-1].id) if more and items else None
    )
    return Page(items, next_cursor)


@dataclass(frozen=True)
class DownloadLink:
    """A short-lived presigned URL to a file, and what the file is."""

    url: str
    expires_in_seconds: int
    filename: str
    content_type: str
    size: int | None


def resource_download(
    views: RelationalStore,
    documents: DocumentStore,
    blobs: BlobStore,
    viewer: Viewer,
    *,
    offering_id: str,
    resource_id: str,
) -> DownloadLink:
    """A ready file of an offering the viewer may see (``NotFoundError`` if not),
    served only while its stored bytes are those attached (``GoneError`` if not)."""
    offering = get_offering(views, documents, viewer, offering_id)
    resource = offering.resource(resource_id)
    if resource is None or resource.state is not ResourceState.READY:
        raise NotFoundError("No such file.")
    if not _intact(blobs, offering.id, resource):
        logger.warning(
            "not serving resource %s of offering %s: its stored bytes are not those "
            "attached",
            resource.id,
            offering.id,
        )
        raise GoneError("The file is no longer available.")
    return DownloadLink(
        url=blobs.presigned_get_url(resource.key, DOWNLOAD_URL_SECONDS),
        expires_in_seconds=DOWNLOAD_URL_SECONDS,
        filename=resource.filename,
        content_type=resource.content_type,
        size=resource.size,
    )


def _intact(blobs: BlobStore, offering_id: str, resource: ResourceRow) -> bool:
    """Whether the stored bytes are still those attached: their size always (one
    HEAD); their checksum too under a key an upload URL was once signed for (a file
    attached before accepted keys existed), since such a URL may have rewritten it.
    No URL writes an accepted key."""
    try:
        if blobs.head(resource.key).size != resource.size:
            return False
        if is_accepted_key(resource.key, offering_id, resource.id):
            return True
        data = blobs.get(resource.key)
    except BlobNotFoundError:
        return False
    return hashlib.sha256(data).hexdigest() == resource.sha256
