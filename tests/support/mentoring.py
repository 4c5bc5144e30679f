"""Builders for the mentoring tests: the careers application wired as the
composition root wires it (a user directory, a personal-data vault), mentors,
candidates and their assessments."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any, TypeVar
from uuid import UUID, uuid4

from adapters.embedded.views import SqliteRelationalStore
from adapters.identity.data_keys import SqlPersonalDataVault
from commands.base import Actor, Command, CommandResult
from commands.careers.application import CareersApplication
from commands.careers.handlers import HANDLERS
from commands.careers.messages import CompleteAssessment, SaveMentorProfile
from commands.dispatch import Dispatcher
from domain.careers.assessment import NeedsAssessment
from domain.careers.candidate import Candidate
from domain.careers.mentor import Mentor, MentorProfile
from domain.careers.mentor_pool import MentorPool
from tests.support.onboarding import KnownUsers

ResultT = TypeVar("ResultT")
_counter = itertools.count(1)


def actor(*roles: str, user_id: str | None = None) -> Actor:
    return Actor(
        user_id=user_id or str(uuid4()),
        roles=frozenset(roles),
        correlation_id=f"corr-{next(_counter)}",
    )


def admin() -> Actor:
    return actor("ADMIN")


def assessment_body(
    urgent: Iterable[str] = (), some: Iterable[str] = (), **overrides: Any
) -> dict[str, Any]:
    """A needs assessment as the HTTP body has it."""
    needs: dict[str, Any] = {c: {"level": "urgent", "text": None} for c in urgent}
    needs.update({c: {"level": "some"} for c in some})
    body: dict[str, Any] = {
        "needs": needs,
        "region": "Bavaria",
        "country": "DE",
        "preferred_format": "online",
        "languages": ["en"],
        "availability": "weekday evenings",
    }
    body.update(overrides)
    return body


def assessment(urgent: Iterable[str] = (), some: Iterable[str] = ()) -> NeedsAssessment:
    body = assessment_body(urgent, some)
    return NeedsAssessment.of(**body)


class Careers:
    """A careers application on the in-memory store with what the composition root
    gives it, and a dispatcher over its handlers."""

    def __init__(self, app: CareersApplication | None = None) -> None:
        self.vault_store: SqliteRelationalStore | None = None
        if app is None:
            self.vault_store = SqliteRelationalStore(None)
            app = CareersApplication(
                env={"PERSISTENCE_MODULE": "eventsourcing.popo"},
                vault=SqlPersonalDataVault(self.vault_store),
            )
        self.app = app
        self.users = KnownUsers()
        self.app.users = self.users
        self.dispatcher = Dispatcher({self.app.name: self.app}, [HANDLERS])

    def close(self) -> None:
        self.app.close()
        if self.vault_store is not None:
            self.vault_store.close()

    def send(self, command: Command[ResultT]) -> ResultT:
        return self.dispatcher.dispatch(command)

    # -- people -----------------------------------------------------------------------

    def mentor(
        self,
        categories: Iterable[str] = ("resume_writing",),
        user_id: str | None = None,
    ) -> str:
        """A CAREER_MENTOR who saved a profile (and so joined the pool)."""
        who = actor("CAREER_MENTOR", user_id=user_id)
        self.users.add(who.user_id, "CAREER_MENTOR")
        profile = MentorProfile.of(categories=list(categories))
        self.send(SaveMentorProfile(actor=who, profile=profile))
        return who.user_id

    def candidate(
        self,
        urgent: Iterable[str] = ("resume_writing",),
        some: Iterable[str] = (),
        user_id: str | None = None,
    ) -> str:
        """A CANDIDATE who completed an assessment."""
        who = actor("CANDIDATE", user_id=user_id)
        self.users.add(who.user_id, "CANDIDATE")
        self.send(
            CompleteAssessment(
                actor=who,
                candidate_id=who.user_id,
                assessment=assessment(urgent, some),
            )
        )
        return who.user_id

    def complete(self, candidate_id: str, urgent: Iterable[str] = ()) -> CommandResult:
        who = actor("CANDIDATE", user_id=candidate_id)
        return self.send(
            CompleteAssessment(
                actor=who, candidate_id=candidate_id, assessment=assessment(urgent)
            )
        )

    # -- reading the write model ------------------------------------------------------

    def get_candidate(self, candidate_id: str) -> Candidate:
        found: object = self.app.repository.get(UUID(candidate_id))
        assert isinstance(found, Candidate)
        return found

    def get_mentor(self, user_id: str) -> Mentor:
        found: object = self.app.repository.get(Mentor.id_for(user_id))
        assert isinstance(found, Mentor)
        return found

    def pool(self) -> MentorPool:
        found: object = self.app.repository.get(MentorPool.ID)
        assert isinstance(found, MentorPool)
        return found
