"""The careers context's command messages, one ``Command`` subclass per request.

Each message gets exactly one handler (``handlers.py``). Payloads travel as the
domain's values (``CareerProfile``, ``NeedsAssessment``), already checked where they
were made (``of``), so a message holds nothing unchecked; a message accepts only
such instances (``InstanceOf``), never a mapping to build one from.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import InstanceOf

from commands.base import Command, CommandResult
from domain.careers.assessment import NeedsAssessment
from domain.careers.profile import CareerProfile

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
