"""Leader assignment on real PostgreSQL: caps hold under concurrency, queues are FIFO.

Four application instances, each with its own connection pool and in-process lock,
stand for four API processes; only the event store's version check keeps them apart.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError

from adapters.postgres.database import eventsourcing_environment
from commands.base import Actor, CommandResult
from commands.onboarding.application import OnboardingApplication
from commands.onboarding.messages import (
    AddLeader,
    CreateCommunity,
    CreateNpo,
    CreateOffering,
    DeleteNpo,
    RecordOffering,
    SetLeaderCap,
    SetPolicy,
)
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

PROCESSES = 4
LEADERS = 5
CAP = 10
NPOS = 100


@pytest.fixture
def apps(
    postgres_url: str, postgres_schema: str
) -> Iterator[list[OnboardingApplication]]:
    env = eventsourcing_environment(postgres_url, pool_size=4, max_overflow=4)
    env["POSTGRES_SCHEMA"] = postgres_schema
    made = [OnboardingApplication(env=env) for _ in range(PROCESSES)]
    yield made
    for app in made:
        app.close()


def _counting(
    app: OnboardingApplication, counter: Counter[str]
) -> Callable[..., CommandResult]:
    save_changes = app.save_changes

    def counting(*aggregates: Any) -> CommandResult:
        try:
            return save_changes(*aggregates)
        except IntegrityError:
            counter["stale"] += 1
            raise

    return counting


def _npo(app: OnboardingApplication, npo_id: str) -> Npo:
    found: object = app.repository.get(UUID(npo_id))
    assert isinstance(found, Npo)
    return found


def test_one_hundred_completions_at_once_against_five_leaders_capped_at_ten(
    apps: list[OnboardingApplication], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = apps[0]
    stale_writes = Counter[str]()
    for each in apps:
        monkeypatch.setattr(each, "save_changes", _counting(each, stale_writes))
    # One dispatcher per process.
    processes = [Onboarding(each) for each in apps]
    send = processes[0].send
    boss = admin()
    send(SetPolicy(actor=boss, leader_npo_cap=CAP, communities_per_leader=3))
    community_id = send(
        CreateCommunity(actor=boss, name="Careers", tags=("resume-writing",))
    ).ids[0]
    for process in processes:
        for n in range(LEADERS + 1):
            process.leader(f"l{n}")
    for n in range(LEADERS):
        send(AddLeader(actor=boss, community_id=UUID(community_id), user_id=f"l{n}"))
    pairs = []
    content = offering_content()
    for _ in range(NPOS):
        owner = npo_user()
        npo_id = UUID(send(CreateNpo(actor=owner, profile=npo_profile())).ids[0])
        created = send(CreateOffering(actor=owner, npo_id=npo_id, content=content))
        pairs.append((npo_id, UUID(created.ids[0])))

    start = threading.Barrier(NPOS)
    errors: list[BaseException] = []

    def complete(index: int) -> None:
        npo_id, offering_id = pairs[index]
        start.wait()
        try:
            processes[index % PROCESSES].send(
                RecordOffering(
                    actor=Actor.system("load"), npo_id=npo_id, offering_id=offering_id
                )
            )
        except BaseException as error:  # noqa: BLE001 - asserted below
            errors.append(error)

    threads = [threading.Thread(target=complete, args=(i,)) for i in range(NPOS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    # The processes did collide; the version check turned them away.
    assert stale_writes["stale"] > 0

    # Check exactly fifty assigned, ten each, none over; fifty waiting.
    states = [_npo(app, str(npo_id)) for npo_id, _ in pairs]
    assigned = Counter(s.leader_id for s in states if s.leader_id)
    assert assigned == {f"l{n}": CAP for n in range(LEADERS)}
    waiting = [s for s in states if s.waiting_in]
    assert len(waiting) == NPOS - LEADERS * CAP
    assert all(s.registration == "COMPLETE" for s in states)
    for n in range(LEADERS):
        leader: object = app.repository.get(Leader.id_for(f"l{n}"))
        assert isinstance(leader, Leader)
        assert len(leader.npos) == CAP

    # Check the queue is in completion order (first completed, first served).
    roster: object = app.repository.get(LeaderRoster.id_for(community_id))
    assert isinstance(roster, LeaderRoster)
    queue = [npo_id for npo_id, _ in roster.waiting]
    by_completion = sorted(waiting, key=lambda s: (s.completed_at or "", str(s.id)))
    assert queue == [str(s.id) for s in by_completion]

    # Capacity frees: a raised cap, a deleted NPO, a new leader; FIFO each time.
    processes[1].send(SetLeaderCap(actor=boss, user_id="l0", npo_cap=CAP + 2))
    assert [_npo(app, queue[i]).leader_id for i in range(3)] == ["l0", "l0", None]
    gone = next(s for s in states if s.leader_id == "l3")
    processes[2].send(DeleteNpo(actor=boss, npo_id=gone.id, reason="Fake"))
    assert _npo(app, queue[2]).leader_id == "l3"
    processes[3].send(
        AddLeader(actor=boss, community_id=UUID(community_id), user_id="l5")
    )
    assert [_npo(app, queue[i]).leader_id for i in range(3, 14)] == ["l5"] * CAP + [
        None
    ]
    final: object = app.repository.get(LeaderRoster.id_for(community_id))
    assert isinstance(final, LeaderRoster)
    assert [npo_id for npo_id, _ in final.waiting] == queue[13:]
