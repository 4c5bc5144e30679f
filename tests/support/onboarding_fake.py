"""Stand-ins for the onboarding and identity contexts, emitting the events the
scheduling process manager and the notifications projection react to.

Only the topic suffixes (``Npo.LeaderAssigned``...) and the field names matter; they
mirror ``domain.onboarding.npo.Npo``. Careers' events come from the real careers
application (``tests.support.mentoring``).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import event

from commands.base import CommandResult, SpotlightApplication
from domain.base import SpotlightAggregate


class Npo(SpotlightAggregate):
    @event("Registered")
    def __init__(self, id: UUID, creator_id: str, profile: dict[str, Any]) -> None:
        self.members = [creator_id]
        self.leader_id: str | None = None

    @event("MemberAdded")
    def add_member(self, user_id: str) -> None:
        self.members.append(user_id)

    @event("MemberRemoved")
    def remove_member(self, user_id: str) -> None:
        self.members.remove(user_id)

    @event("WaitingForLeader")
    def wait_for_leader(self, community_id: str) -> None:
        pass

    @event("LeaderAssigned")
    def assign_leader(self, leader_id: str, community_id: str) -> None:
        self.leader_id = leader_id

    @event("LeaderUnassigned")
    def unassign_leader(self, leader_id: str, community_id: str, reason: str) -> None:
        self.leader_id = None

    def delete(self, reason: str) -> None:
        self._delete(
            reason=reason,
            member_ids=list(self.members),
            leader_id=self.leader_id,
            offering_ids=[],
        )

    @event("Deleted")
    def _delete(
        self,
        reason: str,
        member_ids: list[str],
        leader_id: str | None,
        offering_ids: list[str],
    ) -> None:
        pass


class FakeOnboarding(SpotlightApplication):
    name = "onboarding"

    def register(self, creator_id: str) -> Npo:
        npo = Npo(id=uuid4(), creator_id=creator_id, profile={"name": "secret"})
        self.save(npo)
        return npo

    def change(self, npo: Npo) -> CommandResult:
        return self.save_changes(npo)


class User(SpotlightAggregate):
    """Identity's user, as far as scheduling cares: it can be erased."""

    @event("Registered")
    def __init__(self, id: UUID) -> None:
        pass

    @event("Erased")
    def erase(self) -> None:
        pass


class FakeIdentity(SpotlightApplication):
    name = "identity"
