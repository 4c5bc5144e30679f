"""Handlers of the candidate messages.

The assessment section is the smallest path to a completed assessment, so a mentor
is assigned right after it (``commands.careers.mentoring``).
"""

from __future__ import annotations

from commands.base import CommandResult
from commands.careers.application import CareersApplication, UnitOfWork, run
from commands.careers.mentoring import assign_after_assessment
from commands.careers.messages import CompleteAssessment
from domain.base import NotAllowedError
from domain.careers.candidate import Candidate
from domain.careers.values import ROLE_CANDIDATE

# --- Assessments (C2) ---------------------------------------------------------------


def complete_assessment(
    app: CareersApplication, command: CompleteAssessment
) -> CommandResult:
    """A CANDIDATE completes an assessment; then a mentor is assigned, or they wait."""
    actor = command.actor
    if not actor.holds(ROLE_CANDIDATE):
        raise NotAllowedError("Only a candidate completes a needs assessment.")

    def decide(unit: UnitOfWork) -> None:
        candidate = unit.find(Candidate, actor.user_id)
        if candidate is None:
            candidate = unit.add(
                Candidate.register(actor.user_id, actor.roles), primary=True
            )
        candidate.complete_assessment(command.assessment)
        assign_after_assessment(unit, candidate)

    return run(app, actor, decide, assignment=True)
