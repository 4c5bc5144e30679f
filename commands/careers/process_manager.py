"""The careers process manager: other contexts' events become careers commands.

A projection of the identity log (in order, from its tracked position; never
failing a command of identity's), matching events by the end of their topic
(``Aggregate.Event``), so nothing of identity is imported. It sends commands through
the dispatch callable ``careers_process_manager_for`` is given, as the system under
the triggering event's correlation id. Every command it sends is idempotent (a
batch applied again changes nothing twice), so it remembers nothing itself.

=======================================  =============================================
event (topic suffix)                     commands
=======================================  =============================================
``User.RoleRevoked`` (CAREER_MENTOR)     ``RetireMentor``: every mentee reassigned or
                                         queued, keeping their place
``User.Disabled``                        ``RetireMentor`` (if a mentor)
``User.Erased``                          ``RetireMentor`` (if a mentor)
=======================================  =============================================

A mentor disabled and enabled again, or given the role back, returns by saving their
mentor profile. Each reaction is a function from the event to the commands it sends;
``REACTIONS`` lists them per topic suffix, several per event if need be.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar

from pydantic import ValidationError

from commands.base import Actor, Command, ConcurrencyConflictError
from commands.careers.mentoring import (
    MENTOR_DISABLED,
    MENTOR_ERASED,
    MENTOR_ROLE_REVOKED,
)
from commands.careers.messages import MentorLeaving, RetireMentor
from domain.base import DomainError
from domain.careers.values import ROLE_CAREER_MENTOR
from ports.relational import SqlSession
from projections.contracts import ProjectedEvent, Projection

logger = logging.getLogger(__name__)

PROCESS_MANAGER = "careers_process"
TRIGGER_SOURCES = ("identity",)

SendCommand = Callable[[Command[Any]], Any]
Reaction = Callable[[ProjectedEvent], Iterable[Command[Any]]]


def _actor(item: ProjectedEvent) -> Actor:
    """The platform, under the correlation id of the event that triggered it."""
    return Actor.system(str(getattr(item.event, "correlation_id", "") or "-"))


# -- Mentors (CM2) ---------------------------------------------------------------------


def _retire(reason: MentorLeaving) -> Reaction:
    def react(item: ProjectedEvent) -> Iterable[Command[Any]]:
        yield RetireMentor(
            actor=_actor(item), user_id=str(item.originator_id), reason=reason
        )

    return react


def _role_revoked(item: ProjectedEvent) -> Iterable[Command[Any]]:
    if getattr(item.event, "role", None) == ROLE_CAREER_MENTOR:
        yield from _retire(MENTOR_ROLE_REVOKED)(item)


REACTIONS: dict[str, tuple[Reaction, ...]] = {
    "User.RoleRevoked": (_role_revoked,),
    "User.Disabled": (_retire(MENTOR_DISABLED),),
    "User.Erased": (_retire(MENTOR_ERASED),),
}


class CareersProcessManager(Projection):
    """Subclassed by ``careers_process_manager_for`` with its dispatcher."""

    name = PROCESS_MANAGER
    sources: ClassVar[tuple[str, ...]] = TRIGGER_SOURCES
    send_command: ClassVar[SendCommand]

    def setup(self, session: SqlSession) -> None:
        return  # it remembers nothing: every command it sends is idempotent

    def drop(self, session: SqlSession) -> None:
        return

    def apply(self, session: SqlSession, events: Sequence[ProjectedEvent]) -> None:
        for item in events:
            for react in REACTIONS.get(item.topic.rpartition(":")[2], ()):
                for command in react(item):
                    self._send(item, command)

    def _send(self, item: ProjectedEvent, command: Command[Any]) -> None:
        try:
            type(self).send_command(command)
        except ConcurrencyConflictError:
            raise  # not a refusal: the projection applies the batch again
        except (DomainError, ValidationError) as error:
            # A rule refused: the same command would be refused again, so the
            # trigger stays handled; logged without personal data.
            logger.warning(
                "careers refused %s at %s:%d: %s",
                item.event_name,
                item.source,
                item.position,
                type(error).__name__,
            )


def careers_process_manager_for(
    applications: Mapping[str, object], send: SendCommand
) -> list[type[Projection]]:
    """The process manager where careers and identity run, sending through
    ``send``; none otherwise."""
    if "careers" not in applications or not all(
        s in applications for s in TRIGGER_SOURCES
    ):
        return []

    class BoundProcessManager(CareersProcessManager):
        pass

    BoundProcessManager.send_command = send
    return [BoundProcessManager]
