"""Handlers of the mentor messages (CM2): profiles, caps, leaving, finishing.

Every one of them can free or add capacity, so each serves the mentors' queue in the
same decision (``commands.careers.mentoring``), serialised like every assignment.
"""

from __future__ import annotations

from commands.base import Actor, CommandResult
from commands.careers.application import CareersApplication, UnitOfWork, run
from commands.careers.mentoring import (
    MENTORING_FINISHED,
    join_pool,
    release_mentoring,
    retire,
    serve,
)
from commands.careers.messages import (
    FinishMentoring,
    RetireMentor,
    SaveMentorProfile,
    SetCareersPolicy,
    SetMentorCap,
)
from domain.base import SYSTEM_ACTOR, NotAllowedError, NotFoundError
from domain.careers.mentor import Mentor
from domain.careers.values import ROLE_ADMIN


def _require_admin(actor: Actor) -> None:
    if not actor.holds(ROLE_ADMIN):
        raise NotAllowedError("Only an admin does this.")


def save_mentor_profile(
    app: CareersApplication, command: SaveMentorProfile
) -> CommandResult:
    """A CAREER_MENTOR (the role they hold now, not the token's) keeps their
    profile; the first save enrols them and their capacity serves the queue."""
    actor = command.actor
    roles = app.roles_of(actor.user_id)

    def decide(unit: UnitOfWork) -> None:
        mentor = unit.find_mentor(actor.user_id)
        if mentor is None:
            mentor = unit.add(
                Mentor.enrol(actor.user_id, roles, command.profile), primary=True
            )
        else:
            mentor.update_profile(roles, command.profile)
        join_pool(unit, mentor)

    return run(app, actor, decide, assignment=True)


def set_mentor_cap(app: CareersApplication, command: SetMentorCap) -> CommandResult:
    """An admin sets a mentor's own cap (None: the default); a raise serves the
    queue at once."""
    _require_admin(command.actor)

    def decide(unit: UnitOfWork) -> None:
        unit.mentor(command.user_id).set_cap(command.mentee_cap)
        serve(unit)

    return run(app, command.actor, decide, assignment=True)


def set_careers_policy(
    app: CareersApplication, command: SetCareersPolicy
) -> CommandResult:
    """An admin (``CareersPolicy.change`` checks) sets the default cap; a raise
    serves the queue at once."""

    def decide(unit: UnitOfWork) -> None:
        unit.policy().change(command.actor.roles, command.mentee_cap)
        serve(unit)

    return run(app, command.actor, decide, assignment=True)


def retire_mentor(app: CareersApplication, command: RetireMentor) -> CommandResult:
    """The platform (a process manager) or an admin: the mentor leaves the pool;
    each mentee gets another mentor with capacity or waits, keeping their place."""
    actor = command.actor
    if actor.user_id != SYSTEM_ACTOR:
        _require_admin(actor)

    def decide(unit: UnitOfWork) -> None:
        mentor = unit.find_mentor(command.user_id)
        if mentor is None or not mentor.active:
            return  # never a mentor, or gone already: nothing to do
        if command.triggered_at and command.triggered_at < mentor.active_since():
            return  # they came back after what made them leave
        retire(unit, mentor, command.reason)

    return run(app, actor, decide, assignment=True)


def finish_mentoring(
    app: CareersApplication, command: FinishMentoring
) -> CommandResult:
    """The assigned mentor or an admin: the candidate's mentoring is over; the
    mentor's freed slot serves the queue."""
    actor = command.actor

    def decide(unit: UnitOfWork) -> None:
        candidate = unit.candidate(command.candidate_id)
        if not actor.holds(ROLE_ADMIN) and candidate.mentor_id != actor.user_id:
            raise NotFoundError("No such mentee.")  # never say whose they are
        if candidate.mentor_id is None:
            return
        release_mentoring(unit, candidate, MENTORING_FINISHED)

    return run(app, actor, decide, assignment=True)
