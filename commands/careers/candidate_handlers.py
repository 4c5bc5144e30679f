"""Handlers of the candidate messages: the career profile (C1), needs assessments
(C2) and erasure.

A candidate's record is made on their first career action (a profile or an
assessment), by the candidate themselves: only they change it. Completing an
assessment assigns a mentor in the same decision (``mentoring``); erasing frees the
mentor's slot or the place in the queue first.
"""

from __future__ import annotations

from commands.base import Actor, CommandResult
from commands.careers.application import CareersApplication, UnitOfWork, run
from commands.careers.mentoring import assign_after_assessment, release_mentoring
from commands.careers.messages import (
    CompleteAssessment,
    EraseCandidate,
    UpdateCareerProfile,
)
from domain.base import SYSTEM_ACTOR, NotAllowedError
from domain.careers.candidate import Candidate
from domain.careers.roadmap import Roadmap
from domain.careers.values import ROLE_ADMIN, ROLE_CANDIDATE

ERASED_REASON = "erased"


def _own_record(unit: UnitOfWork, actor: Actor, candidate_id: str) -> Candidate:
    """The acting candidate's own record, registered on their first action."""
    if actor.user_id != candidate_id:
        raise NotAllowedError("You may only change your own career record.")
    if not actor.holds(ROLE_CANDIDATE):
        raise NotAllowedError("Only a candidate keeps a career record.")
    found = unit.find(Candidate, candidate_id)
    if found is not None:
        return found
    return unit.add(Candidate.register(candidate_id, actor.roles), primary=True)


def update_career_profile(
    app: CareersApplication, command: UpdateCareerProfile
) -> CommandResult:
    """The candidate replaces their profile; an unchanged one records nothing."""

    def decide(unit: UnitOfWork) -> None:
        _own_record(unit, command.actor, command.candidate_id).update_profile(
            command.profile
        )

    return run(app, command.actor, decide)


def complete_assessment(
    app: CareersApplication, command: CompleteAssessment
) -> CommandResult:
    """The assessment joins the history (the first completes onboarding and earns
    a badge); a mentor is assigned, or the candidate waits, in the same save."""

    def decide(unit: UnitOfWork) -> None:
        candidate = _own_record(unit, command.actor, command.candidate_id)
        candidate.complete_assessment(command.assessment)
        assign_after_assessment(unit, candidate)

    return run(app, command.actor, decide, assignment=True)


def erase_candidate(app: CareersApplication, command: EraseCandidate) -> CommandResult:
    """The platform (or an admin) erases the career record of an erased person;
    nothing happens when there is none or it is erased already."""
    actor = command.actor
    if actor.user_id != SYSTEM_ACTOR and not actor.holds(ROLE_ADMIN):
        raise NotAllowedError("Only the platform erases a career record.")

    def decide(unit: UnitOfWork) -> None:
        candidate = unit.find(Candidate, command.candidate_id)
        if candidate is None or candidate.erased:
            return
        release_mentoring(unit, candidate, ERASED_REASON)
        candidate.erase()
        roadmap = unit.find(Roadmap, Roadmap.id_for(candidate.id))
        if roadmap is not None:
            roadmap.erase()

    return run(app, actor, decide, assignment=True)
