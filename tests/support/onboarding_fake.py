"""Stand-ins for the onboarding and careers contexts, emitting the events the
scheduling process manager and the notifications projection react to.

Only the topic suffixes (``Npo.LeaderAssigned``...) and field names matter; the real
contexts live in ``domain/onboarding*`` and ``domain/careers*``.
"""

from __future__ import annotations

from uuid import UUID, uuid4

from eventsourcing.domain import event

from commands.base import CommandResult, SpotlightApplication
from domain.base import SpotlightAggregate


class Npo(SpotlightAggregate):
    @event("Registered")
    def __init__(self, id: UUID, member_ids: list[str]) -> None:
        self.member_ids = member_ids

    @event("WaitingForLeader")
    def wait_for_leader(self, community_id: str) -> None:
        pass

    @event("LeaderAssigned")
    def assign_leader(
        self, leader_id: str, member_ids: list[str], community_id: str
    ) -> None:
        self.member_ids = member_ids

    @event("MembersChanged")
    def change_members(
        self, added_member_ids: list[str], removed_member_ids: list[str]
    ) -> None:
        self.member_ids = [
            m
            for m in [*self.member_ids, *added_member_ids]
            if m not in removed_member_ids
        ]

    @event("Deleted")
    def delete(self, member_ids: list[str]) -> None:
        pass


class FakeOnboarding(SpotlightApplication):
    name = "onboarding"

    def register(self, member_ids: list[str]) -> Npo:
        npo = Npo(id=uuid4(), member_ids=member_ids)
        self.save(npo)
        return npo

    def change(self, npo: Npo) -> CommandResult:
        return self.save_changes(npo)


class Candidate(SpotlightAggregate):
    @event("Registered")
    def __init__(self, id: UUID) -> None:
        pass

    @event("MentorAssigned")
    def assign_mentor(self, candidate_id: str, mentor_id: str) -> None:
        pass


class FakeCareers(SpotlightApplication):
    name = "careers"
