"""Offerings: read, update, delete (NP3), take down (A1), resources (NP2, #7), and
the offering categories (#2)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query, status

from adapters.http.auth import AdminDep, ContainerDep, CurrentUserDep, NpoDep
from adapters.http.commands import Accepted, ActorDep, DispatchDep
from adapters.http.onboarding.reading import FRESH_NPOS, FRESH_OFFERINGS, ViewerDep
from adapters.http.onboarding.schemas_npos import ReasonIn
from adapters.http.onboarding.schemas_offerings import (
    CategoryIn,
    CategoryOut,
    DownloadOut,
    OfferingOut,
    OfferingUpdateIn,
    UploadIn,
    UploadTicketOut,
)
from adapters.http.openapi import links_to
from commands.onboarding.messages import (
    AddCategory,
    AttachUpload,
    DeleteOffering,
    RemoveResource,
    StartUpload,
    TakeDownOffering,
    UpdateOffering,
)
from queries.onboarding import offerings as q
from queries.onboarding.communities import list_categories as categories_of

router = APIRouter(prefix="/offerings", tags=["offerings"])
categories_router = APIRouter(prefix="/offering-categories", tags=["offerings"])

# A resource's id, as the offering gives it (32 hexadecimal digits).
ResourceId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]


@router.get("/{offering_id}", dependencies=[FRESH_OFFERINGS])
def read_offering(
    offering_id: UUID, viewer: ViewerDep, container: ContainerDep
) -> OfferingOut:
    """An offering: any status for its NPO's members, its leader and admins; for
    everyone else only ACTIVE offerings of approved NPOs."""
    return OfferingOut.of(
        q.get_offering(container.views, container.documents, viewer, str(offering_id))
    )


@router.put("/{offering_id}")
def update_offering(
    offering_id: UUID,
    body: OfferingUpdateIn,
    user: NpoDep,
    actor: ActorDep,
    dispatch: DispatchDep,
) -> Accepted:
    """Replace the content (members with the NPO role). ``version`` is the version
    the edit started from; a newer stored version answers 409."""
    command = UpdateOffering(
        actor=actor,
        offering_id=offering_id,
        content=body.to_value(),
        expected_version=body.version,
    )
    return Accepted.of(dispatch.dispatch(command))


@router.delete("/{offering_id}")
def delete_offering(
    *,
    offering_id: UUID,
    user: NpoDep,
    actor: ActorDep,
    dispatch: DispatchDep,
    version: Annotated[
        int | None, Query(ge=1, description="Refuse if the offering changed since.")
    ] = None,
) -> Accepted:
    """Delete the offering (NP3) and its files."""
    command = DeleteOffering(
        actor=actor, offering_id=offering_id, expected_version=version
    )
    return Accepted.of(dispatch.dispatch(command))


@router.post("/{offering_id}/takedown")
def take_down_offering(
    offering_id: UUID,
    body: ReasonIn,
    user: AdminDep,
    actor: ActorDep,
    dispatch: DispatchDep,
) -> Accepted:
    """An admin takes the offering down (A1); it stops being visible or editable."""
    command = TakeDownOffering(actor=actor, offering_id=offering_id, reason=body.reason)
    return Accepted.of(dispatch.dispatch(command))


@router.post(
    "/{offering_id}/resources",
    status_code=status.HTTP_201_CREATED,
    responses={
        201: {
            "description": "The upload ticket: PUT the bytes to `upload_url`.",
            "links": links_to(
                "POST /offerings/{offering_id}/resources/{resource_id}/attach",
                "DELETE /offerings/{offering_id}/resources/{resource_id}",
                offering_id="$request.path.offering_id",
                resource_id="$response.body#/resource_id",
            ),
        },
        413: {"description": "The declared size is larger than the limit"},
    },
)
def start_upload(
    offering_id: UUID,
    body: UploadIn,
    user: NpoDep,
    actor: ActorDep,
    dispatch: DispatchDep,
) -> UploadTicketOut:
    """Ask to upload a file: PDF, plain text or an image, at most 10 MiB. Answers a
    presigned URL to PUT the bytes to; then call ``.../attach``."""
    command = StartUpload(
        actor=actor,
        offering_id=offering_id,
        filename=body.filename,
        content_type=body.content_type,
        size=body.size,
    )
    return UploadTicketOut.of(dispatch.dispatch(command))


@router.post(
    "/{offering_id}/resources/{resource_id}/attach",
    responses={
        413: {"description": "Larger than the limit"},
        415: {"description": "Not a readable type, judged by its content"},
    },
)
def attach_upload(
    offering_id: UUID,
    resource_id: ResourceId,
    user: NpoDep,
    actor: ActorDep,
    dispatch: DispatchDep,
) -> Accepted:
    """Attach the uploaded file once its content is checked; a refused file is
    deleted and the refusal recorded on the offering."""
    command = AttachUpload(
        actor=actor, offering_id=offering_id, resource_id=resource_id
    )
    return Accepted.of(dispatch.dispatch(command))


@router.delete("/{offering_id}/resources/{resource_id}")
def remove_resource(
    offering_id: UUID,
    resource_id: ResourceId,
    user: NpoDep,
    actor: ActorDep,
    dispatch: DispatchDep,
) -> Accepted:
    """Remove a file no module uses."""
    command = RemoveResource(
        actor=actor, offering_id=offering_id, resource_id=resource_id
    )
    return Accepted.of(dispatch.dispatch(command))


@router.get(
    "/{offering_id}/resources/{resource_id}/download",
    dependencies=[FRESH_OFFERINGS],
    responses={
        410: {"description": "The stored file is no longer the one that was checked."}
    },
)
def download(
    offering_id: UUID,
    resource_id: ResourceId,
    viewer: ViewerDep,
    container: ContainerDep,
) -> DownloadOut:
    """A short-lived presigned URL to download a file of an offering you may see."""
    link = q.resource_download(
        container.views,
        container.documents,
        container.blobs,
        viewer,
        offering_id=str(offering_id),
        resource_id=resource_id,
    )
    return DownloadOut.of(link)


@categories_router.get("", dependencies=[FRESH_NPOS])
def list_categories(user: CurrentUserDep, container: ContainerDep) -> list[CategoryOut]:
    """The offering categories (the ten of #2 and those admins added)."""
    return [
        CategoryOut(slug=slug, label=label)
        for slug, label in categories_of(container.views).items()
    ]


@categories_router.post("", status_code=status.HTTP_201_CREATED)
def add_category(
    body: CategoryIn, user: AdminDep, actor: ActorDep, dispatch: DispatchDep
) -> Accepted:
    """An admin adds a category (or relabels one)."""
    command = AddCategory(actor=actor, slug=body.slug, label=body.label)
    return Accepted.of(dispatch.dispatch(command))
