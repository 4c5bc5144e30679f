"""The careers context's application and what its handlers share.

Handlers (``commands.careers.handlers``) take the application and a message. Each
decides inside ``run`` (``commands.unit_of_work``): a fresh ``UnitOfWork`` loads the
aggregates, pure domain methods decide, and every aggregate loaded is saved in one
transaction. A stale write is decided again; assignment decisions are serialised
within the process (``decision_lock``).

Careers' events hold personal data (profiles, assessments), sealed per person with
the platform's data keys (``commands.personal_data``); a candidate's id is their user
id, so erasing the person erases their career record too.

What the handlers need from outside the context is injected by the composition root:
``users`` (``commands.careers.ports.UserDirectory``: the roles a user holds) and
``offerings`` (``VisibleOfferings``: which offerings a mentor may suggest).
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from eventsourcing.utils import EnvType

from commands.base import Actor, CommandResult
from commands.careers.ports import (
    NoOfferings,
    NoUsers,
    UserDirectory,
    VisibleOfferings,
)
from commands.personal_data import PersonalDataApplication, PersonalDataVault
from commands.unit_of_work import UnitOfWork as BaseUnitOfWork
from commands.unit_of_work import run_unit
from domain.base import NotFoundError
from domain.careers.candidate import Candidate


class CareersApplication(PersonalDataApplication):
    name = "careers"

    def __init__(self, env: EnvType | None = None, *, vault: PersonalDataVault) -> None:
        super().__init__(env, vault=vault)
        # Set by the composition root (see the module's docstring).
        self.users: UserDirectory = NoUsers()
        self.offerings: VisibleOfferings = NoOfferings()

    def roles_of(self, user_id: str) -> frozenset[str]:
        """The roles a user holds now (``NotFoundError`` if no such active user)."""
        roles = self.users.roles_of(user_id)
        if roles is None:
            raise NotFoundError("No such user.")
        return roles


class UnitOfWork(BaseUnitOfWork[CareersApplication]):
    """The aggregates one careers decision loads; all are saved together."""

    def candidate(self, candidate_id: UUID | str) -> Candidate:
        return self.get(Candidate, candidate_id, "candidate")


def run(
    app: CareersApplication,
    actor: Actor,
    decide: Callable[[UnitOfWork], object],
    *,
    assignment: bool = False,
) -> CommandResult:
    """Decide with a fresh unit of work, save everything, retry stale writes;
    ``assignment`` serialises it within this process."""
    return run_unit(app, UnitOfWork, actor, decide, serialised=assignment)
