"""The onboarding bounded context's application and what its handlers share.

Handlers (``commands.onboarding.handlers``) take the application and a message. Each
decides inside ``run`` (``commands.unit_of_work``): a fresh ``UnitOfWork`` loads the
aggregates, pure domain methods decide, and every aggregate loaded is saved in one
transaction. A stale write is decided again.

What the handlers need from outside the context is injected by the composition root:
``users`` (``ports.UserDirectory``: the roles a user holds) and ``blobs`` (the object
store of offerings' files), and ``offerings_topic`` (where the offering flow's
messages go and come from).

Assignment decisions change a community's ``LeaderRoster`` and a ``Leader``, so
concurrent ones collide by design (that is how the caps hold). Within a process they
take the application's ``decision_lock`` first, so threads queue instead of wasting
attempts; across processes the event store's version check decides, and ``run``
retries with jittered back-off.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from uuid import UUID

from commands.base import Actor, CommandResult, SpotlightApplication
from commands.onboarding.ports import NoUsers, UserDirectory
from commands.unit_of_work import UnitOfWork as BaseUnitOfWork
from commands.unit_of_work import run_unit
from domain.base import NotFoundError, UnavailableError
from domain.onboarding.catalogue import DEFAULT_CATEGORIES, Catalogue
from domain.onboarding.community import Community
from domain.onboarding.community_directory import CommunityDirectory
from domain.onboarding.leader import Leader
from domain.onboarding.leader_roster import LeaderRoster
from domain.onboarding.npo import Npo
from domain.onboarding.offering import Offering
from domain.onboarding.onboarding_policy import (
    DEFAULT_COMMUNITIES_PER_LEADER,
    DEFAULT_LEADER_NPO_CAP,
    OnboardingPolicy,
)
from ports.blobs import BlobStore
from projections.onboarding.integration_events import OFFERINGS_TOPIC


class OnboardingApplication(SpotlightApplication):
    name = "onboarding"
    # Recently used aggregates stay in memory; each read brings a copy up to date
    # with the events recorded since (by any process), so hot ones (rosters, the
    # directory, the policy) cost one small query instead of a snapshot and events.
    env: ClassVar[dict[str, str]] = {
        "AGGREGATE_CACHE_MAXSIZE": "5000",
        "AGGREGATE_CACHE_FASTFORWARD": "y",
    }
    # Rosters, leaders and the directory change with every assignment; a snapshot
    # every 50 events keeps loading them cheap however long the history.
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {
        LeaderRoster: 50,
        Leader: 50,
        CommunityDirectory: 50,
    }

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        # Set by the composition root (see the module's docstring).
        self.offerings_topic = OFFERINGS_TOPIC
        self.users: UserDirectory = NoUsers()
        self.blobs: BlobStore | None = None

    def roles_of(self, user_id: str) -> frozenset[str]:
        """The roles a user holds now (``NotFoundError`` if no such active user)."""
        roles = self.users.roles_of(user_id)
        if roles is None:
            raise NotFoundError("No such user.")
        return roles

    def file_store(self) -> BlobStore:
        if self.blobs is None:
            raise UnavailableError("No object store is configured for files.")
        return self.blobs


@dataclass(frozen=True)
class Policy:
    leader_npo_cap: int
    communities_per_leader: int


class UnitOfWork(BaseUnitOfWork[OnboardingApplication]):
    """The aggregates one onboarding decision loads; all are saved together."""

    # -- Shorthands ---------------------------------------------------------------

    def npo(self, npo_id: UUID | str) -> Npo:
        return self.get(Npo, npo_id, "NPO")

    def offering(self, offering_id: UUID | str) -> Offering:
        return self.get(Offering, offering_id, "offering")

    def policy(self) -> Policy:
        found = self.find(OnboardingPolicy, OnboardingPolicy.ID)
        if found is None:
            return Policy(DEFAULT_LEADER_NPO_CAP, DEFAULT_COMMUNITIES_PER_LEADER)
        return Policy(found.leader_npo_cap, found.communities_per_leader)

    def policy_aggregate(self) -> OnboardingPolicy:
        found = self.find(OnboardingPolicy, OnboardingPolicy.ID)
        return found or self.add(OnboardingPolicy.start())

    def categories(self) -> dict[str, str]:
        found = self.find(Catalogue, Catalogue.ID)
        return dict(found.categories) if found else dict(DEFAULT_CATEGORIES)

    def catalogue(self) -> Catalogue:
        found = self.find(Catalogue, Catalogue.ID)
        return found or self.add(Catalogue.start())

    def directory(self) -> CommunityDirectory:
        """The directory, with the default community in it (made on first use)."""
        directory = self.find(CommunityDirectory, CommunityDirectory.ID)
        if directory is None:
            directory = self.add(CommunityDirectory.start())
        if directory.default_community_id is None:
            default = self.add(Community.found_default())
            self.add(LeaderRoster.open(default.id))
            directory.list_community(default)
        return directory

    def community(self, community_id: UUID | str) -> Community:
        return self.get(Community, community_id, "community")

    def roster(self, community_id: UUID | str) -> LeaderRoster:
        return self.get(LeaderRoster, LeaderRoster.id_for(community_id), "community")

    def leader(self, user_id: str) -> Leader:
        return self.get(Leader, Leader.id_for(user_id), "community leader")

    def leaders_of(self, *rosters: LeaderRoster) -> Mapping[str, Leader]:
        """The rosters' leaders, each loaded only when the round-robin asks for it
        (usually just the next one in turn)."""
        return _LazyLeaders(self, [u for r in rosters for u in r.leaders])


class _LazyLeaders(Mapping[str, Leader]):
    def __init__(self, unit: UnitOfWork, user_ids: list[str]) -> None:
        self._unit = unit
        self._user_ids = list(dict.fromkeys(user_ids))

    def __getitem__(self, user_id: str) -> Leader:
        if user_id not in self._user_ids:
            raise KeyError(user_id)
        return self._unit.leader(user_id)

    def __iter__(self) -> Iterator[str]:
        return iter(self._user_ids)

    def __len__(self) -> int:
        return len(self._user_ids)


def run(
    app: OnboardingApplication,
    actor: Actor,
    decide: Callable[[UnitOfWork], object],
    *,
    assignment: bool = False,
) -> CommandResult:
    """Decide with a fresh unit of work, save everything, retry stale writes
    (``commands.unit_of_work.run_unit``); ``assignment`` serialises it within this
    process."""
    return run_unit(app, UnitOfWork, actor, decide, serialised=assignment)
