"""Mentors (CM2): their profile and mentees, and what admins read and set: every
mentor with their load and cap, the waiting queue, caps."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from adapters.http.auth import (
    AdminDep,
    ContainerDep,
    CurrentUser,
    CurrentUserDep,
    forbidden,
    only_admins,
)
from adapters.http.careers.schemas_mentors import (
    CareersPolicyIO,
    MenteeOut,
    MentorCapIn,
    MentorOut,
    MentorPage,
    MentorProfileIn,
    WaitingOut,
    WaitingPage,
)
from adapters.http.commands import Accepted, ActorDep, DispatchDep
from adapters.http.consistency import read_your_writes
from commands.careers.messages import (
    FinishMentoring,
    SaveMentorProfile,
    SetCareersPolicy,
    SetMentorCap,
)
from domain.careers.values import ROLE_CAREER_MENTOR
from projections.careers.mentors import MENTORS_PROJECTION
from projections.careers.roadmaps import ROADMAPS_PROJECTION
from queries.careers import mentors as q
from queries.cursors import CURSOR_PATTERN, MAX_CURSOR_LENGTH

me_router = APIRouter(prefix="/me", tags=["mentors"])
router = APIRouter(prefix="/mentors", tags=["mentors"])
policy_router = APIRouter(prefix="/careers-policy", tags=["mentors"])

Cursor = Annotated[
    str | None,
    Query(
        alias="cursor",
        description="next_cursor of the last page",
        pattern=CURSOR_PATTERN,
        max_length=MAX_CURSOR_LENGTH,
    ),
]
Limit = Annotated[int, Query(ge=1, le=q.MAX_PAGE_SIZE)]


async def only_mentors(user: CurrentUserDep) -> CurrentUser:
    """Career mentors only."""
    if ROLE_CAREER_MENTOR not in {str(r) for r in user.roles}:
        raise forbidden()
    return user


MentorDep = Annotated[CurrentUser, Depends(only_mentors)]

# Query routes wait for the mentors view once the caller's role is checked.
FRESH_FOR_MENTORS = Depends(
    read_your_writes(MENTORS_PROJECTION, authorized_by=only_mentors)
)
FRESH_ROADMAPS_FOR_MENTORS = Depends(
    read_your_writes(ROADMAPS_PROJECTION, authorized_by=only_mentors)
)
FRESH_FOR_ADMINS = Depends(
    read_your_writes(MENTORS_PROJECTION, authorized_by=only_admins)
)


# -- A mentor's own --------------------------------------------------------------------


@me_router.put("/mentor-profile")
def save_mentor_profile(
    body: MentorProfileIn, user: MentorDep, actor: ActorDep, dispatch: DispatchDep
) -> Accepted:
    """A CAREER_MENTOR keeps their profile: the categories of need they cover,
    expertise tags, languages. The first save puts them in the mentor pool (a
    retired mentor holding the role comes back); waiting candidates get their
    capacity at once."""
    command = SaveMentorProfile(actor=actor, profile=body.to_value())
    return Accepted.of(dispatch.dispatch(command))


@me_router.get("/mentor-profile", dependencies=[FRESH_FOR_MENTORS])
def read_mentor_profile(user: MentorDep, container: ContainerDep) -> MentorOut:
    """The mentor's own profile, load and cap (404 until saved)."""
    return MentorOut.of(q.get_mentor_profile(container.views, str(user.id)))


@me_router.get("/mentees", dependencies=[FRESH_FOR_MENTORS, FRESH_ROADMAPS_FOR_MENTORS])
def list_mentees(user: MentorDep, container: ContainerDep) -> list[MenteeOut]:
    """The mentor's own mentees, the earliest assigned first, each with their
    roadmap's progress and status, last activity, the items awaiting your
    approval, and whether they have stalled (items open, no progress for 14
    days)."""
    return [MenteeOut.of(m) for m in q.list_mentees(container.views, str(user.id))]


@me_router.delete("/mentees/{candidate_id}")
def finish_mentoring(
    candidate_id: UUID, user: MentorDep, actor: ActorDep, dispatch: DispatchDep
) -> Accepted:
    """The mentor ends a mentee's mentoring (finished); the freed slot serves the
    queue. 404 for anyone who is not their mentee."""
    command = FinishMentoring(actor=actor, candidate_id=candidate_id)
    return Accepted.of(dispatch.dispatch(command))


# -- Admins --------------------------------------------------------------------------


@router.get("", dependencies=[FRESH_FOR_ADMINS])
def list_mentors(
    user: AdminDep,
    container: ContainerDep,
    cursor: Cursor = None,
    limit: Limit = q.DEFAULT_PAGE_SIZE,
) -> MentorPage:
    """Mentors with their load (active mentees), cap and whether they still
    mentor, by when they joined."""
    page = q.list_mentors(container.views, cursor, limit)
    return MentorPage(
        items=[MentorOut.of(m) for m in page.items], next_cursor=page.next_cursor
    )


@router.get("/queue", dependencies=[FRESH_FOR_ADMINS])
def mentor_queue(
    user: AdminDep,
    container: ContainerDep,
    cursor: Cursor = None,
    limit: Limit = q.DEFAULT_PAGE_SIZE,
) -> WaitingPage:
    """Candidates waiting for a mentor, first served first, with their place."""
    page = q.mentor_queue(container.views, cursor, limit)
    return WaitingPage(
        items=[WaitingOut.of(w) for w in page.items], next_cursor=page.next_cursor
    )


@router.put("/{user_id}/cap")
def set_mentor_cap(
    user_id: UUID,
    body: MentorCapIn,
    user: AdminDep,
    actor: ActorDep,
    dispatch: DispatchDep,
) -> Accepted:
    """An admin sets a mentor's own cap on active mentees (null: the platform
    default). A raise serves waiting candidates at once."""
    command = SetMentorCap(
        actor=actor, user_id=str(user_id), mentee_cap=body.mentee_cap
    )
    return Accepted.of(dispatch.dispatch(command))


@policy_router.get("", dependencies=[FRESH_FOR_ADMINS])
def read_careers_policy(user: AdminDep, container: ContainerDep) -> CareersPolicyIO:
    """The platform's default cap on a mentor's active mentees."""
    return CareersPolicyIO(mentee_cap=q.get_mentee_cap(container.views))


@policy_router.put("")
def set_careers_policy(
    body: CareersPolicyIO, user: AdminDep, actor: ActorDep, dispatch: DispatchDep
) -> Accepted:
    """The platform's default cap on active mentees; a raise serves the queue."""
    command = SetCareersPolicy(actor=actor, mentee_cap=body.mentee_cap)
    return Accepted.of(dispatch.dispatch(command))
