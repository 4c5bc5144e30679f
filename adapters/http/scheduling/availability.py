"""The signed-in user's weekly availability: entered, replaced and read back."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from adapters.http.auth import ContainerDep, CurrentUserDep, current_user
from adapters.http.commands import Accepted, ActorDep, DispatchDep
from adapters.http.consistency import read_your_writes
from adapters.http.scheduling.schemas import Availability, AvailabilityBody
from commands.scheduling.messages import SetAvailability
from projections.scheduling.meetings import MEETINGS_PROJECTION
from queries.scheduling.meetings import get_availability

router = APIRouter(prefix="/me", tags=["meetings"])


@router.put("/availability")
def set_my_availability(
    body: AvailabilityBody, actor: ActorDep, dispatch: DispatchDep
) -> Accepted:
    """Your weekly availability; introductions are booked in time everyone shares."""
    return Accepted.of(
        dispatch.dispatch(
            SetAvailability(
                actor=actor,
                user_id=actor.user_id,
                time_zone=body.time_zone,
                ranges=body.ranges,
            )
        )
    )


@router.get(
    "/availability",
    dependencies=[
        Depends(read_your_writes(MEETINGS_PROJECTION, authorized_by=current_user))
    ],
    responses={404: {"description": "You have not entered your availability yet."}},
)
def my_availability(user: CurrentUserDep, container: ContainerDep) -> Availability:
    """Your weekly availability as last entered."""
    return Availability.of(get_availability(container.views, str(user.id)))
