"""Handlers of the roadmap messages (#4, C6, CM1): who may do what, and the badges.

Three parties act on a candidate's roadmap:

- the candidate themselves (CANDIDATE, their own roadmap): ask for items, accept or
  decline their mentor's suggestions, rate the completed roadmap;
- their assigned mentor (CAREER_MENTOR, ``Candidate.mentor_id``): approve or decline
  requests, suggest items, set the priority order; to anyone else the candidate is
  not there (404, as for suggestions of offerings);
- either of them: mark modules, start, complete or withdraw items, move deadlines.

The platform (the timer worker) sends reminders. The roadmap (``domain.careers.
roadmap``) decides what its state allows; the candidate's badges (the first item
approved, a roadmap completed) are earned in the same save.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from commands.base import Actor, CommandResult
from commands.careers.application import CareersApplication, UnitOfWork, run
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
    SendRoadmapReminder,
    StartRoadmapItem,
    SuggestRoadmapItem,
    WithdrawRoadmapItem,
)
from domain.base import SYSTEM_ACTOR, InvalidFieldError, NotAllowedError, NotFoundError
from domain.careers.badges import BadgeKind
from domain.careers.candidate import Candidate
from domain.careers.roadmap import Roadmap
from domain.careers.roadmap_items import ItemSpec
from domain.careers.values import ROLE_CANDIDATE, ROLE_CAREER_MENTOR
from domain.text import TextFormat

# An item's id, as the request names it (a UUID from the API, or any short slug).
ITEM_ID = TextFormat(
    "item id",
    "[A-Za-z0-9][A-Za-z0-9_-]{0,63}",
    64,
    "must be letters, digits, '-' or '_' (at most 64), starting with a letter or digit",
)

Decision = Callable[[Roadmap, Candidate], object]


# --- Who acts ---------------------------------------------------------------------


def _as_candidate(unit: UnitOfWork, actor: Actor, candidate_id: str) -> Candidate:
    if actor.user_id != candidate_id or not actor.holds(ROLE_CANDIDATE):
        raise NotAllowedError("Only the candidate themselves may do this.")
    return unit.candidate(candidate_id)


def _as_mentor(unit: UnitOfWork, actor: Actor, candidate_id: str) -> Candidate:
    if not actor.holds(ROLE_CAREER_MENTOR):
        raise NotAllowedError("Only the candidate's career mentor may do this.")
    candidate = unit.find(Candidate, candidate_id)
    if candidate is None or candidate.mentor_id != actor.user_id:
        raise NotFoundError("No such mentee.")
    return candidate


def _as_either(unit: UnitOfWork, actor: Actor, candidate_id: str) -> Candidate:
    if actor.user_id == candidate_id:
        return _as_candidate(unit, actor, candidate_id)
    return _as_mentor(unit, actor, candidate_id)


def _on_roadmap(
    app: CareersApplication,
    actor: Actor,
    candidate_id: str,
    who: Callable[[UnitOfWork, Actor, str], Candidate],
    decide: Decision,
) -> CommandResult:
    """Decide on the candidate's roadmap as ``who`` allows, the candidate's record
    loaded beside it (for the badges)."""

    def decision(unit: UnitOfWork) -> None:
        candidate = who(unit, actor, candidate_id)
        roadmap = unit.roadmap(candidate)
        decide(roadmap, candidate)

    return run(app, actor, decision)


def _badge_if(candidate: Candidate, earned: bool, kind: BadgeKind) -> None:
    if earned:
        candidate.earn_badge(kind)


def _spec(
    app: CareersApplication, goal: ItemSpec | None, offering_id: str | None
) -> ItemSpec:
    """The item asked for: a goal as given, or a visible offering as it is now."""
    if (goal is None) == (offering_id is None):
        raise InvalidFieldError(
            "goal", "give either a goal or an offering_id, not both"
        )
    if goal is not None:
        return goal
    assert offering_id is not None
    spec = app.offerings.roadmap_item(offering_id)
    if spec is None:
        raise InvalidFieldError("offering_id", "is not a visible offering")
    return spec


# --- Items asked for and suggested ------------------------------------------------


def request_roadmap_item(
    app: CareersApplication, command: RequestRoadmapItem
) -> CommandResult:
    item_id = ITEM_ID.required(command.item_id, "item_id")
    spec = _spec(app, command.goal, command.offering_id)
    return _on_roadmap(
        app,
        command.actor,
        command.candidate_id,
        _as_candidate,
        lambda roadmap, _: roadmap.request_item(item_id, spec),
    )


def suggest_roadmap_item(
    app: CareersApplication, command: SuggestRoadmapItem
) -> CommandResult:
    item_id = ITEM_ID.required(command.item_id, "item_id")
    spec = _spec(app, command.goal, command.offering_id)
    mentor_id = command.actor.user_id
    return _on_roadmap(
        app,
        command.actor,
        command.candidate_id,
        _as_mentor,
        lambda roadmap, _: roadmap.suggest_item(item_id, spec, mentor_id, command.note),
    )


def approve_roadmap_item(
    app: CareersApplication, command: ApproveRoadmapItem
) -> CommandResult:
    def decide(roadmap: Roadmap, candidate: Candidate) -> None:
        first = roadmap.approve(command.item_id, command.position)
        _badge_if(candidate, first, BadgeKind.FIRST_ITEM_APPROVED)

    return _on_roadmap(app, command.actor, command.candidate_id, _as_mentor, decide)


def decline_roadmap_item(
    app: CareersApplication, command: DeclineRoadmapItem
) -> CommandResult:
    return _on_roadmap(
        app,
        command.actor,
        command.candidate_id,
        _as_mentor,
        lambda roadmap, _: roadmap.decline(command.item_id, command.reason),
    )


def accept_suggested_item(
    app: CareersApplication, command: AcceptSuggestedItem
) -> CommandResult:
    def decide(roadmap: Roadmap, candidate: Candidate) -> None:
        first = roadmap.accept_suggestion(command.item_id)
        _badge_if(candidate, first, BadgeKind.FIRST_ITEM_APPROVED)

    return _on_roadmap(app, command.actor, command.candidate_id, _as_candidate, decide)


def decline_suggested_item(
    app: CareersApplication, command: DeclineSuggestedItem
) -> CommandResult:
    return _on_roadmap(
        app,
        command.actor,
        command.candidate_id,
        _as_candidate,
        lambda roadmap, _: roadmap.decline_suggestion(command.item_id, command.reason),
    )


def reorder_roadmap(app: CareersApplication, command: ReorderRoadmap) -> CommandResult:
    return _on_roadmap(
        app,
        command.actor,
        command.candidate_id,
        _as_mentor,
        lambda roadmap, _: roadmap.reorder(command.order),
    )


# --- Working through items --------------------------------------------------------


def mark_module(app: CareersApplication, command: MarkModule) -> CommandResult:
    def decide(roadmap: Roadmap, candidate: Candidate) -> None:
        completed = roadmap.mark_module(
            command.item_id, command.module_id, command.done
        )
        _badge_if(candidate, completed, BadgeKind.ROADMAP_COMPLETED)

    return _on_roadmap(app, command.actor, command.candidate_id, _as_either, decide)


def start_roadmap_item(
    app: CareersApplication, command: StartRoadmapItem
) -> CommandResult:
    return _on_roadmap(
        app,
        command.actor,
        command.candidate_id,
        _as_either,
        lambda roadmap, _: roadmap.start_item(command.item_id),
    )


def complete_roadmap_item(
    app: CareersApplication, command: CompleteRoadmapItem
) -> CommandResult:
    def decide(roadmap: Roadmap, candidate: Candidate) -> None:
        completed = roadmap.complete_item(command.item_id)
        _badge_if(candidate, completed, BadgeKind.ROADMAP_COMPLETED)

    return _on_roadmap(app, command.actor, command.candidate_id, _as_either, decide)


def withdraw_roadmap_item(
    app: CareersApplication, command: WithdrawRoadmapItem
) -> CommandResult:
    def decide(roadmap: Roadmap, candidate: Candidate) -> None:
        completed = roadmap.withdraw(command.item_id, command.reason)
        _badge_if(candidate, completed, BadgeKind.ROADMAP_COMPLETED)

    return _on_roadmap(app, command.actor, command.candidate_id, _as_either, decide)


def move_deadline(app: CareersApplication, command: MoveDeadline) -> CommandResult:
    return _on_roadmap(
        app,
        command.actor,
        command.candidate_id,
        _as_either,
        lambda roadmap, _: roadmap.move_deadline(
            command.item_id, command.target_id, command.due
        ),
    )


def give_roadmap_feedback(
    app: CareersApplication, command: GiveRoadmapFeedback
) -> CommandResult:
    return _on_roadmap(
        app,
        command.actor,
        command.candidate_id,
        _as_candidate,
        lambda roadmap, _: roadmap.give_feedback(
            command.rating, command.comment, command.item_ratings
        ),
    )


# --- Reminders (the platform) -----------------------------------------------------


def send_roadmap_reminder(
    app: CareersApplication, command: SendRoadmapReminder
) -> CommandResult:
    """Record the reminder as sent once; a timer no longer due records nothing."""
    if command.actor.user_id != SYSTEM_ACTOR:
        raise NotAllowedError("Only the platform sends reminders.")

    def decide(unit: UnitOfWork) -> None:
        # The candidate is read (their mentor), not changed.
        candidate = unit.peek(Candidate, UUID(command.candidate_id))
        roadmap = unit.find(Roadmap, Roadmap.id_for(command.candidate_id))
        if candidate is None or roadmap is None:
            return
        roadmap.send_reminder(
            command.kind,
            command.subject,
            command.due_at,
            command.now,
            candidate.mentor_id,
        )

    return run(app, command.actor, decide)
