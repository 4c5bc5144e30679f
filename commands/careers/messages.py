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
