"""Handlers of a mentor's suggestions to their mentee (CM4)."""

from __future__ import annotations

from commands.base import CommandResult
from commands.careers.application import CareersApplication, UnitOfWork, run
from commands.careers.messages import SuggestOffering
from domain.base import NotAllowedError
from domain.careers.values import ROLE_CAREER_MENTOR


def suggest_offering(
    app: CareersApplication, command: SuggestOffering
) -> CommandResult:
    """Only a CAREER_MENTOR, for their own mentee, and only an offering candidates
    may see now (``Candidate.suggest_offering`` decides)."""
    actor = command.actor
    if not actor.holds(ROLE_CAREER_MENTOR):
        raise NotAllowedError("Only a career mentor suggests offerings.")
    visible = command.offering_id in app.offerings.visible([command.offering_id])

    def decide(unit: UnitOfWork) -> None:
        unit.candidate(command.candidate_id).suggest_offering(
            mentor_id=actor.user_id,
            offering_id=command.offering_id,
            note=command.note,
            visible=visible,
        )

    return run(app, actor, decide)
