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

from commands.onboarding import communities, flow, npos, offerings
from commands.onboarding.application import OnboardingApplication
from domain.onboarding.community import DEFAULT_COMMUNITY_ID
from domain.onboarding.errors import CapReachedError
from domain.onboarding.leader import Leader
from domain.onboarding.leader_roster import LeaderRoster
from domain.onboarding.npo import Npo
from tests.support.onboarding import admin, npo_profile, npo_user, offering_content

AREAS = ["resume-writing", "rent-housing", "gardening"]  # the last matches nothing


class Assignment(RuleBasedStateMachine):
    completed = Bundle("completed")

    def __init__(self) -> None:
        super().__init__()
        self.app = OnboardingApplication(
            env={"PERSISTENCE_MODULE": "eventsourcing.popo"}
        )
        self.admin = admin()
        self.communities: list[str] = []
        self.leaders: list[str] = []
        self.npos: list[str] = []

    def get(self, aggregate_id: UUID | str) -> Any:
        key = aggregate_id if isinstance(aggregate_id, UUID) else UUID(aggregate_id)
        return self.app.repository.get(key)

    @initialize()
    def found_communities(self) -> None:
        communities.set_policy(self.app, self.admin, 2, 2)
        for tag in AREAS[:2]:
            self.communities.append(
                communities.create_community(
                    self.app, self.admin, name=tag, description=None, tags=[tag]
                ).ids[0]
            )
        self.communities.append(str(DEFAULT_COMMUNITY_ID))

    @rule(community=st.integers(0, 2), leader=st.integers(0, 5))
    def add_leader(self, community: int, leader: int) -> None:
        user_id = f"leader-{leader}"
        with contextlib.suppress(CapReachedError):  # CL5: communities per leader
            communities.add_leader(
                self.app,
                self.admin,
                self.communities[community],
                user_id,
                {"COMMUNITY_LEADER"},
            )
        if user_id not in self.leaders:
            self.leaders.append(user_id)

    @rule(community=st.integers(0, 2), leader=st.integers(0, 5))
    def remove_leader(self, community: int, leader: int) -> None:
        communities.remove_leader(
            self.app, self.admin, self.communities[community], f"leader-{leader}"
        )

    @rule(leader=st.integers(0, 5), raise_by=st.integers(1, 2))
    def raise_cap(self, leader: int, raise_by: int) -> None:
        user_id = f"leader-{leader}"
        if user_id not in self.leaders:
            return
        current: Leader = self.get(Leader.id_for(user_id))
        communities.set_leader_cap(
            self.app, self.admin, user_id, current.effective_cap(2) + raise_by
        )

    @rule(target=completed, area=st.sampled_from(AREAS))
    def complete_npo(self, area: str) -> str:
        owner = npo_user()
        npo_id = npos.create_npo(
            self.app, owner, npo_profile(service_areas=[area])
        ).ids[0]
        offering_id = offerings.create_offering(
            self.app,
            owner,
            npo_id,
            offering_content(categories=["child_care"], tags=[]),
        ).ids[0]
        flow.record_offering(self.app, npo_id, offering_id, "c")
        flow.record_offering(self.app, npo_id, offering_id, "again")
        self.npos.append(npo_id)
        return npo_id

    @rule(npo_id=consumes(completed))
    def delete_npo(self, npo_id: str) -> None:
        npos.delete_npo(self.app, self.admin, npo_id, "fake")

    @rule(npo_id=completed, community=st.integers(0, 1))
    def place(self, npo_id: str, community: int) -> None:
        npos.place_npo(self.app, self.admin, npo_id, [self.communities[community]])

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
