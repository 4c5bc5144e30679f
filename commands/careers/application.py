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

from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar
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
from domain.careers.careers_policy import DEFAULT_MENTEE_CAP, CareersPolicy
from domain.careers.mentor import Mentor
from domain.careers.mentor_pool import MentorPool
from domain.careers.roadmap import Roadmap


class CareersApplication(PersonalDataApplication):
    name = "careers"
    # As onboarding's: hot aggregates (the mentor pool, mentors, the policy) stay in
    # memory and each read brings a copy up to date with what others recorded.
    env: ClassVar[dict[str, str]] = {
        "AGGREGATE_CACHE_MAXSIZE": "5000",
        "AGGREGATE_CACHE_FASTFORWARD": "y",
    }
    # The pool and mentors change with every assignment.
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {
        MentorPool: 50,
        Mentor: 50,
    }

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

    def roadmap(self, candidate: Candidate) -> Roadmap:
        """The candidate's roadmap (started on first use)."""
        found = self.find(Roadmap, Roadmap.id_for(candidate.id))
        return found or self.add(Roadmap.start(candidate.id))

    # -- Mentoring (CM2) ----------------------------------------------------------

    def pool(self) -> MentorPool:
        """The platform's mentor pool (opened on first use)."""
        found = self.find(MentorPool, MentorPool.ID)
        return found or self.add(MentorPool.open())

    def mentor(self, user_id: str) -> Mentor:
        return self.get(Mentor, Mentor.id_for(user_id), "mentor")

    def find_mentor(self, user_id: str) -> Mentor | None:
        return self.find(Mentor, Mentor.id_for(user_id))

    def mentors_of(self, pool: MentorPool) -> Mapping[str, Mentor]:
        """The pool's mentors, each loaded only when the assignment asks for it."""
        return _LazyMentors(self, list(pool.members))

    def mentee_cap(self) -> int:
        """The platform's default cap on active mentees."""
        found = self.find(CareersPolicy, CareersPolicy.ID)
        return found.mentee_cap if found else DEFAULT_MENTEE_CAP

    def policy(self) -> CareersPolicy:
        found = self.find(CareersPolicy, CareersPolicy.ID)
        return found or self.add(CareersPolicy.start())


class _LazyMentors(Mapping[str, Mentor]):
    def __init__(self, unit: UnitOfWork, user_ids: list[str]) -> None:
        self._unit = unit
        self._user_ids = list(dict.fromkeys(user_ids))

    def __getitem__(self, user_id: str) -> Mentor:
        if user_id not in self._user_ids:
            raise KeyError(user_id)
        return self._unit.mentor(user_id)

    def __iter__(self) -> Iterator[str]:
        return iter(self._user_ids)

    def __len__(self) -> int:
        return len(self._user_ids)


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
