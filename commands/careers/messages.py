"""The careers context's command messages, one ``Command`` subclass per request.

Each message gets exactly one handler (``handlers.py``). Payloads travel as the
domain's values (``NeedsAssessment``, ``MentorProfile``), already checked where they
were made (``of``); a message accepts only such instances (``InstanceOf``).
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import InstanceOf

from commands.base import JSON_INTEGER, Command, CommandResult
from domain.careers.assessment import NeedsAssessment
from domain.careers.mentor import MentorProfile

# Why a mentor leaves (the mentor's side: their mentees keep their place in line).
MentorLeaving = Literal[
    "mentor_left", "mentor_role_revoked", "mentor_disabled", "mentor_erased"
]

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


class FinishMentoring(Command[CommandResult]):
    """The assigned mentor (or an admin) ends a candidate's mentoring: finished."""

    candidate_id: UUID


# --- Assessments (C2) ---------------------------------------------------------------
# The smallest path to a completed assessment, so a mentor is assigned after it.


class CompleteAssessment(Command[CommandResult]):
    """A CANDIDATE completes a needs assessment (their record is made on first use)."""

    assessment: InstanceOf[NeedsAssessment]
