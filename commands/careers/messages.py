"""The careers context's command messages, one ``Command`` subclass per request.

Each message gets exactly one handler (``handlers.py``). Payloads travel as the
domain's values (``CareerProfile``, ``NeedsAssessment``, ``MentorProfile``), already
checked where they were made (``of``), so a message holds nothing unchecked; a
message accepts only such instances (``InstanceOf``), never a mapping to build one
from.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import InstanceOf

from commands.base import JSON_INTEGER, Command, CommandResult
from domain.careers.assessment import NeedsAssessment
from domain.careers.mentor import MentorProfile
from domain.careers.profile import CareerProfile
from domain.careers.roadmap_items import ItemSpec

# Why a mentor leaves (the mentor's side: their mentees keep their place in line).
MentorLeaving = Literal[
    "mentor_left", "mentor_role_revoked", "mentor_disabled", "mentor_erased"
]

# --- Candidates (C1, C2) ------------------------------------------------------------


class UpdateCareerProfile(Command[CommandResult]):
    """The candidate themselves replaces their career profile (registered on their
    first career action)."""

    candidate_id: str
    profile: InstanceOf[CareerProfile]


class CompleteAssessment(Command[CommandResult]):
    """The candidate themselves completes a needs assessment; a mentor is then
    assigned (or the candidate waits for one)."""

    candidate_id: str
    assessment: InstanceOf[NeedsAssessment]


class EraseCandidate(Command[CommandResult]):
    """The person was erased (identity's ``User.Erased``): their career record is
    erased too, and their mentor's slot or place in the queue freed. The platform
    sends it; nothing happens for a user with no career record."""

    candidate_id: str


# --- Suggestions from the mentor (CM4) ---------------------------------------------


class SuggestOffering(Command[CommandResult]):
    """The candidate's assigned mentor suggests a visible offering, with a note."""

    candidate_id: UUID
    offering_id: str
    note: str | None = None


# --- Mentors (CM2) -------------------------------------------------------------------


class SaveMentorProfile(Command[CommandResult]):
    """A CAREER_MENTOR keeps their profile; the first one enrols them in the pool."""

    profile: InstanceOf[MentorProfile]


class SetMentorCap(Command[CommandResult]):
    """An admin sets a mentor's own cap; None: the platform's default applies."""

    user_id: str
    mentee_cap: Annotated[int, JSON_INTEGER] | None


class SetCareersPolicy(Command[CommandResult]):
    """An admin sets the platform's default cap on a mentor's active mentees."""

    mentee_cap: Annotated[int, JSON_INTEGER]


class RetireMentor(Command[CommandResult]):
    """A mentor stops mentoring (role revoked, disabled, erased): every mentee is
    reassigned or waits, keeping their place (the reasons are the mentor's side:
    ``commands.careers.mentoring``). Sent by the process manager or an admin."""

    user_id: str
    reason: MentorLeaving
    # When what made them leave happened (identity's event): a mentor who came back
    # since (a late trigger, or one a rebuild replays) is left alone.
    triggered_at: datetime | None = None


class FinishMentoring(Command[CommandResult]):
    """The assigned mentor (or an admin) ends a candidate's mentoring: finished."""

    candidate_id: UUID


# --- The roadmap (#4, C6, CM1) -------------------------------------------------------
# Items are named by the id the request gives them (``item_id``), so a retried
# request finds its item instead of making a second one. An item is either a custom
# goal (``goal``, an ``ItemSpec`` already checked) or an offering (``offering_id``:
# its modules and deadlines are copied when the handler asks for it).


class RequestRoadmapItem(Command[CommandResult]):
    """The candidate themselves asks for an item (a goal or an offering); it waits
    for their mentor's approval."""

    candidate_id: str
    item_id: str
    goal: InstanceOf[ItemSpec] | None = None
    offering_id: str | None = None


class SuggestRoadmapItem(Command[CommandResult]):
    """The candidate's assigned mentor suggests an item, with an optional note."""

    candidate_id: str
    item_id: str
    goal: InstanceOf[ItemSpec] | None = None
    offering_id: str | None = None
    note: str | None = None


class ApproveRoadmapItem(Command[CommandResult]):
    """The assigned mentor approves a requested item, at ``position`` in the
    priority order (0 first; none: last)."""

    candidate_id: str
    item_id: str
    position: Annotated[int, JSON_INTEGER] | None = None


class DeclineRoadmapItem(Command[CommandResult]):
    """The assigned mentor declines a requested item, saying why."""

    candidate_id: str
    item_id: str
    reason: str


class AcceptSuggestedItem(Command[CommandResult]):
    """The candidate accepts their mentor's suggestion (approved, last in order)."""

    candidate_id: str
    item_id: str


class DeclineSuggestedItem(Command[CommandResult]):
    """The candidate declines their mentor's suggestion (a reason is optional)."""

    candidate_id: str
    item_id: str
    reason: str | None = None


class ReorderRoadmap(Command[CommandResult]):
    """The assigned mentor sets the priority order of the items on the roadmap."""

    candidate_id: str
    order: list[str]


class MarkModule(Command[CommandResult]):
    """The candidate or their mentor marks a module done or undone."""

    candidate_id: str
    item_id: str
    module_id: str
    done: bool


class StartRoadmapItem(Command[CommandResult]):
    """The candidate or their mentor starts an item."""

    candidate_id: str
    item_id: str


class CompleteRoadmapItem(Command[CommandResult]):
    """The candidate or their mentor completes an item."""

    candidate_id: str
    item_id: str


class WithdrawRoadmapItem(Command[CommandResult]):
    """The candidate or their mentor withdraws an item (its history is kept)."""

    candidate_id: str
    item_id: str
    reason: str | None = None


class MoveDeadline(Command[CommandResult]):
    """The candidate or their mentor moves an item's deadline (``target_id``: the
    deadline's id) or a module's due date (the module's id; none removes it)."""

    candidate_id: str
    item_id: str
    target_id: str
    due: str | None


class GiveRoadmapFeedback(Command[CommandResult]):
    """The candidate rates their completed roadmap (1 to 5), with an optional
    comment and ratings of its items."""

    candidate_id: str
    rating: Annotated[int, JSON_INTEGER]
    comment: str | None = None
    item_ratings: dict[str, Annotated[int, JSON_INTEGER]] = {}


class SendRoadmapReminder(Command[CommandResult]):
    """The platform's timer worker sends a reminder that fell due (``due_at``) if it
    is still due at ``now`` and was not sent yet: sending it twice records it once."""

    candidate_id: str
    kind: str
    subject: str
    due_at: datetime
    now: datetime
