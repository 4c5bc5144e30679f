"""Leader assignment under any sequence of commands (hypothesis state machine).

After every step: no leader above their cap, an NPO waits only when every leader of
its community is full, every completed NPO has exactly one of a leader or a place in
a queue, queues are in completion order, and the roster, the leader and the NPO
agree about every assignment.
"""

from __future__ import annotations

import contextlib
from typing import Any
from uuid import UUID

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    rule,
)

from commands.base import Actor
from commands.onboarding.application import OnboardingApplication
from commands.onboarding.messages import (
    AddLeader,
    CreateCommunity,
    CreateNpo,
    CreateOffering,
    DeleteNpo,
    PlaceNpo,
    RecordOffering,
    RemoveLeader,
    SetLeaderCap,
    SetPolicy,
)
from domain.onboarding.community import DEFAULT_COMMUNITY_ID
from domain.onboarding.errors import CapReachedError
from domain.onboarding.leader import Leader
from domain.onboarding.leader_roster import LeaderRoster
from domain.onboarding.npo import Npo
from tests.support.onboarding import (
    Onboarding,
    admin,
    npo_profile,
    npo_user,
    offering_content,
)

AREAS = ["resume-writing", "rent-housing", "gardening"]  # the last matches nothing


class Assignment(RuleBasedStateMachine):
    completed = Bundle("completed")

    def __init__(self) -> None:
        super().__init__()
        self.app = OnboardingApplication(
            env={"PERSISTENCE_MODULE": "eventsourcing.popo"}
        )
        self.onboarding = Onboarding(self.app)
        self.send = self.onboarding.send
        self.admin = admin()
        self.communities: list[str] = []
        self.leaders: list[str] = []
        self.npos: list[str] = []

    def get(self, aggregate_id: UUID | str) -> Any:
        key = aggregate_id if isinstance(aggregate_id, UUID) else UUID(aggregate_id)
        return self.app.repository.get(key)

    @initialize()
    def found_communities(self) -> None:
        self.send(
            SetPolicy(actor=self.admin, leader_npo_cap=2, communities_per_leader=2)
        )
        for tag in AREAS[:2]:
            created = self.send(
                CreateCommunity(actor=self.admin, name=tag, tags=(tag,))
            )
            self.communities.append(created.ids[0])
        self.communities.append(str(DEFAULT_COMMUNITY_ID))

    @rule(community=st.integers(0, 2), leader=st.integers(0, 5))
    def add_leader(self, community: int, leader: int) -> None:
        user_id = self.onboarding.leader(f"leader-{leader}")
        with contextlib.suppress(CapReachedError):  # CL5: communities per leader
            self.send(
                AddLeader(
                    actor=self.admin,
                    community_id=UUID(self.communities[community]),
                    user_id=user_id,
                )
            )
        if user_id not in self.leaders:
            self.leaders.append(user_id)

    @rule(community=st.integers(0, 2), leader=st.integers(0, 5))
    def remove_leader(self, community: int, leader: int) -> None:
        self.send(
            RemoveLeader(
                actor=self.admin,
                community_id=UUID(self.communities[community]),
                user_id=f"leader-{leader}",
            )
        )

    @rule(leader=st.integers(0, 5), raise_by=st.integers(1, 2))
    def raise_cap(self, leader: int, raise_by: int) -> None:
        user_id = f"leader-{leader}"
        if user_id not in self.leaders:
            return
        current: Leader = self.get(Leader.id_for(user_id))
        self.send(
            SetLeaderCap(
                actor=self.admin,
                user_id=user_id,
                npo_cap=current.effective_cap(2) + raise_by,
            )
        )

    @rule(target=completed, area=st.sampled_from(AREAS))
    def complete_npo(self, area: str) -> str:
        owner = npo_user()
        profile = npo_profile(service_areas=[area])
        npo_id: str = self.send(CreateNpo(actor=owner, profile=profile)).ids[0]
        content = offering_content(categories=["child_care"], tags=[])
        offering_id = self.send(
            CreateOffering(actor=owner, npo_id=UUID(npo_id), content=content)
        ).ids[0]
        for correlation_id in ("c", "again"):
            self.send(
                RecordOffering(
                    actor=Actor.system(correlation_id),
                    npo_id=UUID(npo_id),
                    offering_id=UUID(offering_id),
                )
            )
        self.npos.append(npo_id)
        return npo_id

    @rule(npo_id=consumes(completed))
    def delete_npo(self, npo_id: str) -> None:
        self.send(DeleteNpo(actor=self.admin, npo_id=UUID(npo_id), reason="fake"))

    @rule(npo_id=completed, community=st.integers(0, 1))
    def place(self, npo_id: str, community: int) -> None:
        self.send(
            PlaceNpo(
                actor=self.admin,
                npo_id=UUID(npo_id),
                community_ids=(self.communities[community],),
            )
        )

    @invariant()
    def assignments_agree_and_caps_hold(self) -> None:
        rosters: list[LeaderRoster] = [
            self.get(LeaderRoster.id_for(c)) for c in self.communities
        ]
        held: dict[str, dict[str, str]] = {}
        for user_id in self.leaders:
            leader: Leader = self.get(Leader.id_for(user_id))
            assert len(leader.npos) <= leader.effective_cap(2), user_id
            held[user_id] = leader.npos
            for community_id in leader.communities:
                assert user_id in self.get(LeaderRoster.id_for(community_id)).leaders
        for roster in rosters:
            for npo_id, leader_id in roster.assignments.items():
                assert held[leader_id][npo_id] == roster.community_id
                npo: Npo = self.get(npo_id)
                assert (npo.leader_id, npo.leader_community_id) == (
                    leader_id,
                    roster.community_id,
                )
            if roster.waiting:
                for leader_id in roster.leaders:
                    leader = self.get(Leader.id_for(leader_id))
                    assert leader.spare(2) == 0, (roster.community_id, leader_id)
            order = [(since, npo_id) for npo_id, since in roster.waiting]
            assert order == sorted(order)
        for npo_id in self.npos:
            npo = self.get(npo_id)
            if npo.deleted:
                assert npo.leader_id is None
                assert npo.waiting_in is None
                continue
            assert (npo.leader_id is None) != (npo.waiting_in is None), npo_id
            if npo.waiting_in is not None:
                roster = self.get(LeaderRoster.id_for(npo.waiting_in))
                assert roster.is_waiting(npo_id)

    def teardown(self) -> None:
        self.app.close()


Assignment.TestCase.settings = settings(
    max_examples=75, stateful_step_count=30, deadline=None
)
TestAssignment = Assignment.TestCase
