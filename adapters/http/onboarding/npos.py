"""NPOs: profile and members (NP1), verification (CL1), approval and deletion (A3,
A1), placement (A2), and the NPO's and the leader's reports (NP5, CL6)."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, status

from adapters.http.auth import AdminDep, ContainerDep, LeaderDep, NpoDep
from adapters.http.commands import Accepted, ActorDep, DispatchDep
from adapters.http.onboarding.reading import (
    FRESH_NPOS,
    FRESH_NPOS_FOR_ADMINS,
    FRESH_NPOS_FOR_LEADERS,
    FRESH_OFFERINGS,
    ViewerDep,
)
from adapters.http.onboarding.schemas_npos import (
    AssignedNpo,
    AssignedNpoPage,
    NpoOut,
    NpoPage,
    NpoProfileIn,
    PlacementIn,
    ReasonIn,
    VerificationIn,
)
from adapters.http.onboarding.schemas_offerings import (
    NpoReportOut,
    OfferingIn,
    OfferingOut,
    OfferingPage,
)
from adapters.http.openapi import CONSISTENCY_TOKEN, FIRST_ID, links_to
from commands.onboarding.messages import (
    AddMember,
    ApproveNpo,
    CreateNpo,
    CreateOffering,
    DeleteNpo,
    PlaceNpo,
    RecordVerification,
    RemoveMember,
    UpdateNpo,
)
from domain.onboarding.npo import VerificationStatus
from queries.cursors import CURSOR_PATTERN, MAX_CURSOR_LENGTH
from queries.onboarding import npos as q
from queries.onboarding.offerings import offerings_of_npo
from queries.onboarding.pages import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from queries.onboarding.reports import npo_report as report_of
from queries.onboarding.reports import npos_of_leader

router = APIRouter(prefix="/npos", tags=["npos"])
me_router = APIRouter(prefix="/me", tags=["npos"])

Cursor = Annotated[
    str | None,
    Query(
        alias="cursor",
        description="next_cursor of the last page",
        pattern=CURSOR_PATTERN,
        max_length=MAX_CURSOR_LENGTH,
    ),
]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        201: {
            "description": "Created: the NPO's id comes first in `ids`.",
            "links": links_to(
                "GET /npos/{npo_id}",
                "PUT /npos/{npo_id}",
                "GET /npos/{npo_id}/report",
                "GET /npos/{npo_id}/offerings",
                "POST /npos/{npo_id}/offerings",
                npo_id=FIRST_ID,
                after=CONSISTENCY_TOKEN,
            ),
        }
    },
)
def create_npo(
    body: NpoProfileIn, user: NpoDep, actor: ActorDep, dispatch: DispatchDep
) -> Accepted:
    """Create an NPO profile (NPO role). The platform assigns its id (the first of
    ``ids``); its registration is PENDING until its first offering is recorded.

    A registration id identifies one NPO (compared ignoring case, spaces and
    hyphens): while another NPO that is not deleted holds it, the answer is 409,
    with ``npo_id`` naming that NPO only if the caller is one of its members."""
    return Accepted.of(
        dispatch.dispatch(CreateNpo(actor=actor, profile=body.to_value()))
    )


@router.get("", dependencies=[FRESH_NPOS_FOR_ADMINS])
def list_npos(
    *,
    user: AdminDep,
    viewer: ViewerDep,
    container: ContainerDep,
    registration_status: Annotated[
        str | None, Query(pattern="^(PENDING|COMPLETE)$")
    ] = None,
    verification_status: Annotated[
        str | None, Query(pattern="^(UNVERIFIED|VERIFIED|FLAGGED)$")
    ] = None,
    approved: bool | None = None,
    waiting_for_leader: bool | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> NpoPage:
    """Admins: NPOs not deleted, filtered (to approve, flagged, waiting...)."""
    page = q.npos_admin(
        container.views,
        registration=registration_status,
        verification=verification_status,
        approved=approved,
        waiting=waiting_for_leader,
        cursor=cursor,
        limit=limit,
    )
    return NpoPage(
        items=[NpoOut.of(n, viewer) for n in page.items], next_cursor=page.next_cursor
    )


@router.get("/{npo_id}", dependencies=[FRESH_NPOS])
def read_npo(npo_id: UUID, viewer: ViewerDep, container: ContainerDep) -> NpoOut:
    """An NPO: all of it for its members, its leader and admins; the public part of
    an approved NPO for anyone signed in."""
    return NpoOut.of(q.visible_npo(container.views, viewer, str(npo_id)), viewer)


@router.put("/{npo_id}")
def update_npo(
    npo_id: UUID,
    body: NpoProfileIn,
    user: NpoDep,
    actor: ActorDep,
    dispatch: DispatchDep,
) -> Accepted:
    """Change the profile (its members only). A new registration id is refused
    (409) while another NPO holds it; the old one is then free for others."""
    command = UpdateNpo(actor=actor, npo_id=npo_id, profile=body.to_value())
    return Accepted.of(dispatch.dispatch(command))


@router.put("/{npo_id}/members/{user_id}")
def add_member(
    npo_id: UUID, user_id: UUID, user: NpoDep, actor: ActorDep, dispatch: DispatchDep
) -> Accepted:
    """The creator adds a user who holds the NPO role (again: no change)."""
    command = AddMember(actor=actor, npo_id=npo_id, user_id=str(user_id))
    return Accepted.of(dispatch.dispatch(command))


@router.delete("/{npo_id}/members/{user_id}")
def remove_member(
    npo_id: UUID, user_id: UUID, user: NpoDep, actor: ActorDep, dispatch: DispatchDep
) -> Accepted:
    """The creator removes a member (not themselves)."""
    command = RemoveMember(actor=actor, npo_id=npo_id, user_id=str(user_id))
    return Accepted.of(dispatch.dispatch(command))


@router.post("/{npo_id}/verification")
def verify_npo(
    npo_id: UUID,
    body: VerificationIn,
    user: LeaderDep,
    actor: ActorDep,
    dispatch: DispatchDep,
) -> Accepted:
    """The assigned leader records the check of the registration id (CL1):
    VERIFIED, or FLAGGED with a reason."""
    command = RecordVerification(
        actor=actor,
        npo_id=npo_id,
        status=VerificationStatus(body.status),
        reason=body.reason,
    )
    return Accepted.of(dispatch.dispatch(command))


@router.post("/{npo_id}/approval")
def approve_npo(
    npo_id: UUID, user: AdminDep, actor: ActorDep, dispatch: DispatchDep
) -> Accepted:
    """An admin approves a VERIFIED NPO (A3): its offerings become visible."""
    return Accepted.of(dispatch.dispatch(ApproveNpo(actor=actor, npo_id=npo_id)))


@router.delete("/{npo_id}")
def delete_npo(
    npo_id: UUID, body: ReasonIn, user: AdminDep, actor: ActorDep, dispatch: DispatchDep
) -> Accepted:
    """An admin deletes an NPO (a flagged one, A1): its offerings are taken down,
    its members told, its leader's slot given to the longest-waiting NPO."""
    command = DeleteNpo(actor=actor, npo_id=npo_id, reason=body.reason)
    return Accepted.of(dispatch.dispatch(command))


@router.put("/{npo_id}/communities")
def place_npo(
    npo_id: UUID,
    body: PlacementIn,
    user: AdminDep,
    actor: ActorDep,
    dispatch: DispatchDep,
) -> Accepted:
    """An admin places the NPO in communities (A2); the first one provides its
    leader if it is waiting for one."""
    command = PlaceNpo(
        actor=actor,
        npo_id=npo_id,
        community_ids=tuple(str(c) for c in body.community_ids),
    )
    return Accepted.of(dispatch.dispatch(command))


@router.get("/{npo_id}/report", dependencies=[FRESH_OFFERINGS])
def npo_report(
    npo_id: UUID, viewer: ViewerDep, container: ContainerDep
) -> NpoReportOut:
    """NP5 (first cut), for the NPO's members and admins: the profile, its status,
    and every offering with its status."""
    report = report_of(container.views, container.documents, viewer, str(npo_id))
    return NpoReportOut(
        npo=NpoOut.of(report.npo, viewer),
        offerings=[OfferingOut.of(o) for o in report.offerings],
        offering_counts=report.offering_counts,
    )


@router.get("/{npo_id}/offerings", dependencies=[FRESH_OFFERINGS])
def list_offerings(
    *,
    npo_id: UUID,
    viewer: ViewerDep,
    container: ContainerDep,
    status_filter: Annotated[
        list[Literal["ACTIVE", "TAKEN_DOWN", "DELETED"]] | None,
        Query(
            alias="status",
            description="Insiders may ask for TAKEN_DOWN too; others see ACTIVE.",
        ),
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> OfferingPage:
    """An NPO's offerings, oldest first."""
    page = offerings_of_npo(
        container.views,
        container.documents,
        viewer,
        str(npo_id),
        statuses=[s for s in status_filter or ["ACTIVE"] if s != "DELETED"],
        cursor=cursor,
        limit=limit,
    )
    return OfferingPage(
        items=[OfferingOut.of(o) for o in page.items], next_cursor=page.next_cursor
    )


@router.post(
    "/{npo_id}/offerings",
    status_code=status.HTTP_201_CREATED,
    responses={
        201: {
            "description": "Created: the offering's id comes first in `ids`.",
            "links": links_to(
                "GET /offerings/{offering_id}",
                "PUT /offerings/{offering_id}",
                "POST /offerings/{offering_id}/resources",
                "DELETE /offerings/{offering_id}",
                offering_id=FIRST_ID,
                after=CONSISTENCY_TOKEN,
            ),
        }
    },
)
def create_offering(
    npo_id: UUID,
    body: OfferingIn,
    user: NpoDep,
    actor: ActorDep,
    dispatch: DispatchDep,
) -> Accepted:
    """A member with the NPO role adds an offering (its id comes first in ``ids``).
    The first one completes the NPO's registration through the Kafka flow."""
    command = CreateOffering(actor=actor, npo_id=npo_id, content=body.to_value())
    return Accepted.of(dispatch.dispatch(command))


@me_router.get("/npos", dependencies=[FRESH_NPOS])
def my_npos(
    viewer: ViewerDep,
    container: ContainerDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> NpoPage:
    """The NPOs I am a member of."""
    page = q.npos_of_member(container.views, viewer.user_id, cursor, limit)
    return NpoPage(
        items=[NpoOut.of(n, viewer) for n in page.items], next_cursor=page.next_cursor
    )


@me_router.get("/assigned-npos", dependencies=[FRESH_NPOS_FOR_LEADERS])
def my_assigned_npos(
    user: LeaderDep,
    container: ContainerDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> AssignedNpoPage:
    """A leader's report (CL6, first cut): the NPOs assigned to me, with their
    registration and verification status."""
    page = npos_of_leader(container.views, str(user.id), cursor, limit)
    return AssignedNpoPage(
        items=[AssignedNpo.of(n) for n in page.items], next_cursor=page.next_cursor
    )
