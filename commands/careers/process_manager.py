"""The careers process manager: identity's events become careers commands.

A projection of the identity log (in order, from its tracked position; never
failing a command of identity's), matching events by the end of their topic
(``Aggregate.Event``), so nothing of identity is imported. Each reaction turns an
event into the commands it calls for, sent through the dispatch callable
``careers_process_manager_for`` is given, as the platform under the triggering
event's correlation id. Every command it sends is idempotent (erasing an erased
record, retiring a retired mentor change nothing, and ``RetireMentor`` carries the
trigger's time, so a mentor who came back since stays), so a batch applied again,
or a rebuild, has no second effect. It keeps no state of its own.

=======================================  =============================================
event (topic suffix)                     commands
=======================================  =============================================
``User.RoleRevoked`` (CAREER_MENTOR)     ``RetireMentor``: every mentee reassigned or
                                         queued, keeping their place
``User.Disabled``                        ``RetireMentor`` (if a mentor)
``User.Erased``                          ``RetireMentor`` (if a mentor), then
                                         ``EraseCandidate``: the career record is
                                         erased too (nothing for a user with none),
                                         freeing their mentor's slot or their place
                                         in the queue
=======================================  =============================================

A mentor disabled and enabled again, or given the role back, returns by saving their
mentor profile. Each reaction is a function from the event and the acting platform
to the commands it sends; ``REACTIONS`` lists them per topic suffix, in order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar

from pydantic import ValidationError

from commands.base import Actor, Command, ConcurrencyConflictError
from commands.careers.application import CareersApplication
from commands.careers.mentoring import (
    MENTOR_DISABLED,
    MENTOR_ERASED,
    MENTOR_ROLE_REVOKED,
)
from commands.careers.messages import EraseCandidate, MentorLeaving, RetireMentor
from domain.base import DomainError
from domain.careers.values import ROLE_CAREER_MENTOR
from ports.correlation import correlated
from ports.relational import SqlSession
from projections.contracts import ProjectedEvent, Projection

logger = logging.getLogger(__name__)

PROCESS_MANAGER = "careers_process"
TRIGGER_SOURCES = ("identity",)

# How the process manager sends a command: the composition root's dispatcher.
SendCommand = Callable[[Command[Any]], Any]
# What one event calls for: the commands to send, as the given actor.
Reaction = Callable[[ProjectedEvent, Actor], Iterable[Command[Any]]]


def _actor(item: ProjectedEvent) -> Actor:
    """The platform, acting in the correlation of the event that triggered it."""
    return Actor.system(str(getattr(item.event, "correlation_id", "") or "-"))


# -- Mentors (CM2) ---------------------------------------------------------------------


def _retire(reason: MentorLeaving) -> Reaction:
    def react(item: ProjectedEvent, actor: Actor) -> Iterable[Command[Any]]:
        yield RetireMentor(
            actor=actor,
            user_id=str(item.originator_id),
            reason=reason,
            triggered_at=getattr(item.event, "timestamp", None),
        )

    return react


def _role_revoked(item: ProjectedEvent, actor: Actor) -> Iterable[Command[Any]]:
    if getattr(item.event, "role", None) == ROLE_CAREER_MENTOR:
        yield from _retire(MENTOR_ROLE_REVOKED)(item, actor)


# -- Candidates (C1) -------------------------------------------------------------------


def _erase_candidate(item: ProjectedEvent, actor: Actor) -> Iterable[Command[Any]]:
    yield EraseCandidate(actor=actor, candidate_id=str(item.originator_id))


# Event (``Aggregate.Event`` topic suffix) -> its reactions, in order.
REACTIONS: dict[str, tuple[Reaction, ...]] = {
    "User.RoleRevoked": (_role_revoked,),
    "User.Disabled": (_retire(MENTOR_DISABLED),),
    "User.Erased": (_retire(MENTOR_ERASED), _erase_candidate),
}


class CareersProcessManager(Projection):
    """Subclassed by ``careers_process_manager_for`` with its sources and
    dispatcher."""

    name = PROCESS_MANAGER
    sources: ClassVar[tuple[str, ...]] = ()
    send_command: ClassVar[SendCommand]

    def setup(self, session: SqlSession) -> None:
        return  # no state of its own

    def drop(self, session: SqlSession) -> None:
        return

    def apply(self, session: SqlSession, events: Sequence[ProjectedEvent]) -> None:
        for item in events:
            reactions = REACTIONS.get(item.topic.rpartition(":")[2], ())
            if not reactions:
                continue
            # Log lines of the reaction carry the trigger's correlation id.
            with correlated(item.correlation_id):
                for react in reactions:
                    for command in react(item, _actor(item)):
                        self._send(item, command)

    def _send(self, item: ProjectedEvent, command: Command[Any]) -> None:
        try:
            # Read from the class: a plain function stored there is not a method.
            type(self).send_command(command)
        except ConcurrencyConflictError:
            raise  # not a refusal: the projection applies the batch again
        except (DomainError, ValidationError) as error:
            # A rule refused: the same command would be refused again, so the
            # trigger stays handled; logged without personal data.
            logger.warning(
                "careers refused %s for %s at %s:%d: %s",
                type(command).__name__,
                item.event_name,
                item.source,
                item.position,
                type(error).__name__,
            )


def careers_process_manager_for(
    applications: Mapping[str, object], send: SendCommand
) -> list[type[Projection]]:
    """The process manager over the triggering contexts that run here, sending its
    commands through ``send``; none where careers or every trigger is absent."""
    sources = tuple(s for s in TRIGGER_SOURCES if s in applications)
    if CareersApplication.name not in applications or not sources:
        return []

    class BoundProcessManager(CareersProcessManager):
        pass

    BoundProcessManager.sources = sources
    BoundProcessManager.send_command = send
    return [BoundProcessManager]
