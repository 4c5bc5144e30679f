"""The roadmap's writes (#4, C6, CM1): items asked for, approved, declined and
suggested; priorities; modules, starts, completions, withdrawals, deadlines;
feedback.

Three parties, as the handlers (``commands.careers.roadmap_handlers``) decide:

- the candidate, on their own roadmap (``/me/roadmap/...``);
- their assigned mentor (``/candidates/{id}/roadmap/...``): another mentor's mentee
  is not found (404);
- either of them on the items' work (``/candidates/{id}/roadmap/items/...``): the
  candidate names their own id.

Every answer carries the consistency token to read the roadmap back with
``?after=``.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Path, status

from adapters.http.auth import CurrentUser, CurrentUserDep, forbidden
from adapters.http.careers.reading import CandidateDep, holding
from adapters.http.careers.schemas_roadmap import (
    ApprovalIn,
    DeadlineIn,
    FeedbackIn,
    ItemAccepted,
    ItemIn,
    MentorDeclineIn,
    ModuleMarkIn,
    OptionalReasonIn,
    PrioritiesIn,
    SuggestedItemIn,
)
from adapters.http.commands import Accepted, ActorDep, DispatchDep
from commands.careers.messages import (
    AcceptSuggestedItem,
    ApproveRoadmapItem,
    CompleteRoadmapItem,
    DeclineRoadmapItem,
    DeclineSuggestedItem,
    GiveRoadmapFeedback,
    MarkModule,
    MoveDeadline,
    ReorderRoadmap,
    RequestRoadmapItem,
    StartRoadmapItem,
    SuggestRoadmapItem,
    WithdrawRoadmapItem,
)
from commands.careers.roadmap_handlers import ITEM_ID
from domain.careers.values import ROLE_CANDIDATE, ROLE_CAREER_MENTOR

me_router = APIRouter(prefix="/me/roadmap", tags=["roadmap"])
router = APIRouter(prefix="/candidates/{candidate_id}/roadmap", tags=["roadmap"])

only_mentors = holding(ROLE_CAREER_MENTOR)
MentorDep = Annotated[CurrentUser, Depends(only_mentors)]


async def candidate_or_mentor(candidate_id: UUID, user: CurrentUserDep) -> CurrentUser:
    """The candidate on their own roadmap, or a career mentor (whether it is their
    mentee is the handler's question: 404 otherwise); 403 for anyone else."""
    roles = {str(r) for r in user.roles}
    if ROLE_CAREER_MENTOR in roles:
        return user
    if ROLE_CANDIDATE in roles and str(user.id) == str(candidate_id):
        return user
    raise forbidden()


EitherDep = Annotated[CurrentUser, Depends(candidate_or_mentor)]

ItemPath = Annotated[
    str,
    Path(
        description="The item's id.",
        pattern=f"^{ITEM_ID.regex}$",
        max_length=ITEM_ID.max_length,
    ),
]
# A module's or a deadline's id, as the item has it (an offering's module ids).
TargetPath = Annotated[
    str,
    Path(description="A module's or deadline's id.", pattern="^[A-Za-z0-9_-]{1,64}$"),
]


def _new_item_id(given: str | None) -> str:
    return given if given is not None else str(uuid4())


# -- The candidate's own -------------------------------------------------------------


@me_router.post("/items", status_code=status.HTTP_201_CREATED)
def request_item(
    body: ItemIn, user: CandidateDep, actor: ActorDep, dispatch: DispatchDep
) -> ItemAccepted:
    """Ask for an item (CANDIDATE): a custom goal with its modules, or a visible
    offering (its modules and deadlines copied now). It waits for your mentor's
    approval (PENDING_APPROVAL)."""
    item_id = _new_item_id(body.item_id)
    command = RequestRoadmapItem(
        actor=actor,
        candidate_id=str(user.id),
        item_id=item_id,
        goal=body.spec(),
        offering_id=body.offering_id,
    )
    return ItemAccepted.of_item(dispatch.dispatch(command), item_id)


@me_router.post("/items/{item_id}/accept")
def accept_suggestion(
    item_id: ItemPath, user: CandidateDep, actor: ActorDep, dispatch: DispatchDep
) -> Accepted:
    """Accept your mentor's suggestion (CANDIDATE): it goes on your roadmap, last
    in the priority order."""
    command = AcceptSuggestedItem(
        actor=actor, candidate_id=str(user.id), item_id=item_id
    )
    return Accepted.of(dispatch.dispatch(command))


@me_router.post("/items/{item_id}/decline")
def decline_suggestion(
    item_id: ItemPath,
    user: CandidateDep,
    actor: ActorDep,
    dispatch: DispatchDep,
    body: OptionalReasonIn | None = None,
) -> Accepted:
    """Decline your mentor's suggestion (CANDIDATE); a reason is optional."""
    command = DeclineSuggestedItem(
        actor=actor,
        candidate_id=str(user.id),
        item_id=item_id,
        reason=body.reason if body else None,
    )
    return Accepted.of(dispatch.dispatch(command))


@me_router.put("/feedback")
def give_feedback(
    body: FeedbackIn, user: CandidateDep, actor: ActorDep, dispatch: DispatchDep
) -> Accepted:
    """Rate your completed roadmap (CANDIDATE): 1 to 5, a comment, and ratings of
    its items; rating again replaces it. Your mentor sees it; NPOs see only
    aggregates of three ratings or more."""
    command = GiveRoadmapFeedback(
        actor=actor,
        candidate_id=str(user.id),
        rating=body.rating,
        comment=body.comment,
        item_ratings=dict(body.items),
    )
    return Accepted.of(dispatch.dispatch(command))


# -- The assigned mentor -------------------------------------------------------------


@router.post("/items/{item_id}/approval")
def approve_item(
    *,
    candidate_id: UUID,
    item_id: ItemPath,
    user: MentorDep,
    actor: ActorDep,
    dispatch: DispatchDep,
    body: ApprovalIn | None = None,
) -> Accepted:
    """Approve your mentee's requested item (CAREER_MENTOR, their assigned mentor),
    at ``position`` in the priority order. Anyone else's candidate is not found."""
    command = ApproveRoadmapItem(
        actor=actor,
        candidate_id=str(candidate_id),
        item_id=item_id,
        position=body.position if body else None,
    )
    return Accepted.of(dispatch.dispatch(command))


@router.post("/items/{item_id}/decline")
def decline_item(
    *,
    candidate_id: UUID,
    item_id: ItemPath,
    body: MentorDeclineIn,
    user: MentorDep,
    actor: ActorDep,
    dispatch: DispatchDep,
) -> Accepted:
    """Decline your mentee's requested item, saying why (CAREER_MENTOR, their
    assigned mentor)."""
    command = DeclineRoadmapItem(
        actor=actor, candidate_id=str(candidate_id), item_id=item_id, reason=body.reason
    )
    return Accepted.of(dispatch.dispatch(command))


@router.post("/suggestions", status_code=status.HTTP_201_CREATED)
def suggest_item(
    *,
    candidate_id: UUID,
    body: SuggestedItemIn,
    user: MentorDep,
    actor: ActorDep,
    dispatch: DispatchDep,
) -> ItemAccepted:
    """Suggest an item to your mentee (CAREER_MENTOR, their assigned mentor): a
    custom goal or a visible offering, with a note; it waits for them to accept it
    (SUGGESTED)."""
    item_id = _new_item_id(body.item_id)
    command = SuggestRoadmapItem(
        actor=actor,
        candidate_id=str(candidate_id),
        item_id=item_id,
        goal=body.spec(),
        offering_id=body.offering_id,
        note=body.note,
    )
    return ItemAccepted.of_item(dispatch.dispatch(command), item_id)


@router.put("/priorities")
def reorder(
    *,
    candidate_id: UUID,
    body: PrioritiesIn,
    user: MentorDep,
    actor: ActorDep,
    dispatch: DispatchDep,
) -> Accepted:
    """Set the priority order of your mentee's roadmap (CAREER_MENTOR, CM1): every
    item on it once, most important first."""
    command = ReorderRoadmap(
        actor=actor, candidate_id=str(candidate_id), order=list(body.order)
    )
    return Accepted.of(dispatch.dispatch(command))


# -- The candidate or their mentor ---------------------------------------------------


@router.put("/items/{item_id}/modules/{module_id}")
def mark_module(
    *,
    candidate_id: UUID,
    item_id: ItemPath,
    module_id: TargetPath,
    body: ModuleMarkIn,
    user: EitherDep,
    actor: ActorDep,
    dispatch: DispatchDep,
) -> Accepted:
    """Mark a module done or undone (the candidate, with their own id, or their
    assigned mentor). The last module done completes the item."""
    command = MarkModule(
        actor=actor,
        candidate_id=str(candidate_id),
        item_id=item_id,
        module_id=module_id,
        done=body.done,
    )
    return Accepted.of(dispatch.dispatch(command))


@router.post("/items/{item_id}/start")
def start_item(
    *,
    candidate_id: UUID,
    item_id: ItemPath,
    user: EitherDep,
    actor: ActorDep,
    dispatch: DispatchDep,
) -> Accepted:
    """Start an approved item (the candidate or their assigned mentor)."""
    command = StartRoadmapItem(
        actor=actor, candidate_id=str(candidate_id), item_id=item_id
    )
    return Accepted.of(dispatch.dispatch(command))


@router.post("/items/{item_id}/complete")
def complete_item(
    *,
    candidate_id: UUID,
    item_id: ItemPath,
    user: EitherDep,
    actor: ActorDep,
    dispatch: DispatchDep,
) -> Accepted:
    """Complete an approved item, whatever its modules say (the candidate or their
    assigned mentor)."""
    command = CompleteRoadmapItem(
        actor=actor, candidate_id=str(candidate_id), item_id=item_id
    )
    return Accepted.of(dispatch.dispatch(command))


@router.post("/items/{item_id}/withdraw")
def withdraw_item(
    *,
    candidate_id: UUID,
    item_id: ItemPath,
    user: EitherDep,
    actor: ActorDep,
    dispatch: DispatchDep,
    body: OptionalReasonIn | None = None,
) -> Accepted:
    """Withdraw an item from any status but completed or declined (the candidate
    or their assigned mentor); its history is kept."""
    command = WithdrawRoadmapItem(
        actor=actor,
        candidate_id=str(candidate_id),
        item_id=item_id,
        reason=body.reason if body else None,
    )
    return Accepted.of(dispatch.dispatch(command))


@router.put("/items/{item_id}/deadlines/{target_id}")
def move_deadline(
    *,
    candidate_id: UUID,
    item_id: ItemPath,
    target_id: TargetPath,
    body: DeadlineIn,
    user: EitherDep,
    actor: ActorDep,
    dispatch: DispatchDep,
) -> Accepted:
    """Move an open item's deadline (by its id) or a module's due date (by the
    module's id; null removes it) (the candidate or their assigned mentor)."""
    command = MoveDeadline(
        actor=actor,
        candidate_id=str(candidate_id),
        item_id=item_id,
        target_id=target_id,
        due=body.due,
    )
    return Accepted.of(dispatch.dispatch(command))
