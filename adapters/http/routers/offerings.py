"""Offerings: read, update, delete (NP3), take down (A1), resources (NP2, #7), and
the offering categories (#2)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, status

from adapters.http.auth import (
    AdminDep,
    ContainerDep,
    CurrentUserDep,
    NpoDep,
)
from adapters.http.consistency import read_your_writes
from adapters.http.routers.onboarding_common import (
    NPO_VIEWS,
    OFFERING_VIEWS,
    Accepted,
    CorrelationDep,
    OnboardingDep,
    actor_of,
    not_found,
    viewer_of,
)
from adapters.http.routers.onboarding_schemas import (
    CategoryIn,
    CategoryOut,
    DownloadOut,
    OfferingOut,
    OfferingUpdateIn,
    ReasonIn,
    UploadIn,
    UploadTicketOut,
)
from commands.onboarding import communities, offerings
from queries import onboarding as q

router = APIRouter(prefix="/offerings", tags=["offerings"])
categories_router = APIRouter(prefix="/offering-categories", tags=["offerings"])


DOWNLOAD_URL_SECONDS = 5 * 60

_fresh_offerings = Depends(read_your_writes(*OFFERING_VIEWS))
_fresh_npos = Depends(read_your_writes(*NPO_VIEWS))


@router.get("/{offering_id}", dependencies=[_fresh_offerings])
def read_offering(
    offering_id: UUID, user: CurrentUserDep, container: ContainerDep
) -> OfferingOut:
    """An offering: any status for its NPO's members, its leader and admins; for
    everyone else only ACTIVE offerings of approved NPOs."""
    found = q.get_offering(
        container.views, container.documents, viewer_of(user), str(offering_id)
    )
    if found is None:
        raise not_found("offering")
    return OfferingOut(**found.document)


@router.put("/{offering_id}")
def update_offering(
    offering_id: UUID,
    body: OfferingUpdateIn,
    user: NpoDep,
    app: OnboardingDep,
    correlation: CorrelationDep,
) -> Accepted:
    """Replace the content (members with the NPO role). ``version`` is the version
    the edit started from; a newer stored version answers 409."""
    result = offerings.update_offering(
        app, actor_of(user, correlation), offering_id, body.to_value(), body.version
    )
    return Accepted.of(result)


@router.delete("/{offering_id}")
def delete_offering(
    *,
    offering_id: UUID,
    user: NpoDep,
    app: OnboardingDep,
    container: ContainerDep,
    correlation: CorrelationDep,
    version: Annotated[
        int | None, Query(ge=1, description="Refuse if the offering changed since.")
    ] = None,
) -> Accepted:
    """Delete the offering (NP3) and its files."""
    result = offerings.delete_offering(
        app, container.blobs, actor_of(user, correlation), offering_id, version
    )
    return Accepted.of(result)


@router.post("/{offering_id}/takedown")
def take_down_offering(
    offering_id: UUID,
    body: ReasonIn,
    user: AdminDep,
    app: OnboardingDep,
    correlation: CorrelationDep,
) -> Accepted:
    """An admin takes the offering down (A1); it stops being visible or editable."""
    result = offerings.take_down_offering(
        app, actor_of(user, correlation), offering_id, body.reason
    )
    return Accepted.of(result)


@router.post("/{offering_id}/resources", status_code=status.HTTP_201_CREATED)
def start_upload(
    *,
    offering_id: UUID,
    body: UploadIn,
    user: NpoDep,
    app: OnboardingDep,
    container: ContainerDep,
    correlation: CorrelationDep,
) -> UploadTicketOut:
    """Ask to upload a file: PDF, plain text or an image, at most 10 MiB. Answers a
    presigned URL to PUT the bytes to; then call ``.../attach``."""
    ticket = offerings.start_upload(
        app,
        container.blobs,
        actor_of(user, correlation),
        offering_id,
        filename=body.filename,
        content_type=body.content_type,
        size=body.size,
    )
    return UploadTicketOut(
        resource_id=ticket.resource_id,
        upload_url=ticket.upload_url,
        headers={"Content-Type": ticket.content_type},
        expires_in_seconds=ticket.expires_in_seconds,
        consistency_token=ticket.result.consistency_token,
    )


@router.post(
    "/{offering_id}/resources/{resource_id}/attach",
    responses={
        413: {"description": "Larger than the limit"},
        415: {"description": "Not a readable type, judged by its content"},
    },
)
def attach_upload(
    *,
    offering_id: UUID,
    resource_id: str,
    user: NpoDep,
    app: OnboardingDep,
    container: ContainerDep,
    correlation: CorrelationDep,
) -> Accepted:
    """Attach the uploaded file once its content is checked; a refused file is
    deleted and the refusal recorded on the offering."""
    result = offerings.attach_upload(
        app, container.blobs, actor_of(user, correlation), offering_id, resource_id
    )
    return Accepted.of(result)


@router.delete("/{offering_id}/resources/{resource_id}")
def remove_resource(
    *,
    offering_id: UUID,
    resource_id: str,
    user: NpoDep,
    app: OnboardingDep,
    container: ContainerDep,
    correlation: CorrelationDep,
) -> Accepted:
    """Remove a file no module uses."""
    result = offerings.remove_resource(
        app, container.blobs, actor_of(user, correlation), offering_id, resource_id
    )
    return Accepted.of(result)


@router.get(
    "/{offering_id}/resources/{resource_id}/download", dependencies=[_fresh_offerings]
)
def download(
    offering_id: UUID, resource_id: str, user: CurrentUserDep, container: ContainerDep
) -> DownloadOut:
    """A short-lived presigned URL to download a file of an offering you may see."""
    found = q.get_offering(
        container.views, container.documents, viewer_of(user), str(offering_id)
    )
    if found is None:
        raise not_found("offering")
    resource = next(
        (r for r in found.document["resources"] if r["id"] == resource_id), None
    )
    if resource is None or resource["state"] != "READY":
        raise not_found("file")
    url = container.blobs.presigned_get_url(
        found.keys[resource_id], DOWNLOAD_URL_SECONDS
    )
    return DownloadOut(
        url=url,
        expires_in_seconds=DOWNLOAD_URL_SECONDS,
        filename=resource["filename"],
        content_type=resource["content_type"],
        size=resource["size"],
    )


@categories_router.get("", dependencies=[_fresh_npos])
def list_categories(user: CurrentUserDep, container: ContainerDep) -> list[CategoryOut]:
    """The offering categories (the ten of #2 and those admins added)."""
    return [
        CategoryOut(slug=slug, label=label)
        for slug, label in q.list_categories(container.views).items()
    ]


@categories_router.post("", status_code=status.HTTP_201_CREATED)
def add_category(
    body: CategoryIn, user: AdminDep, app: OnboardingDep, correlation: CorrelationDep
) -> Accepted:
    """An admin adds a category (or relabels one)."""
    result = communities.add_category(
        app, actor_of(user, correlation), body.slug, body.label
    )
    return Accepted.of(result)
