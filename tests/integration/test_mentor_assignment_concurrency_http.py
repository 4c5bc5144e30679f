"""The mentor cap and the queue hold end to end: three API instances on real
PostgreSQL, 200 candidates completing assessments at once against 10 mentors with
a cap of 5; then one raised cap serves the head of the queue."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from adapters.bootstrap import Container, build_container
from adapters.http.app import create_app
from adapters.settings import Settings
from commands.careers.application import CareersApplication
from domain.careers.candidate import Candidate
from domain.careers.values import CandidateStatus
from tests.support.identity import SignedIn
from tests.support.mentoring_http import MentoringClient
from tests.support.onboarding_http import fresh_database

INSTANCES = 3
CANDIDATES = 200
MENTORS = 10
CAP = 5


@pytest.fixture
def instances(tmp_path: Path, postgres_url: str) -> Iterator[list[MentoringClient]]:
    run = uuid.uuid4().hex[:10]
    with fresh_database(postgres_url) as database_url, ExitStack() as stack:
        settings = Settings(data_dir=tmp_path, postgres_url=database_url)
        containers: list[Container] = []
        for _ in range(INSTANCES):
            container = build_container(settings)
            stack.callback(container.close)
            containers.append(container)
        clients = [
            stack.enter_context(TestClient(create_app(container=c))) for c in containers
        ]
        first = MentoringClient.start(clients[0], containers[0], f"admin-{run}@x.org")
        yield [first] + [
            MentoringClient(client, container, first.admin)
            for client, container in zip(clients[1:], containers[1:], strict=True)
        ]


def completion_times(app: CareersApplication) -> dict[str, str]:
    """When each candidate's (only) assessment was recorded, from the log."""
    found: dict[str, str] = {}
    start = 1
    while batch := app.recorder.select_notifications(start=start, limit=500):
        for notification in batch:
            if notification.topic.endswith(":Candidate.AssessmentCompleted"):
                event: Any = app.mapper.to_domain_event(notification)
                found[str(event.originator_id)] = event.timestamp.isoformat(
                    timespec="microseconds"
                )
        start = batch[-1].id + 1
    return found


def test_two_hundred_assessments_at_once_fill_ten_mentors_to_their_cap(
    instances: list[MentoringClient],
) -> None:
    world = instances[0]
    admin = world.admin
    world.ok(
        world.client.put(
            "/careers-policy", json={"mentee_cap": CAP}, headers=admin.headers
        )
    )
    mentors = [
        world.mentor(["resume_writing", "interview_prep"]) for _ in range(MENTORS)
    ]
    candidates: list[SignedIn] = [world.candidate() for _ in range(CANDIDATES)]

    # Every candidate completes an assessment at once, through the three instances.
    def complete(index: int) -> str:
        instance = instances[index % INSTANCES]
        return instance.complete(
            candidates[index], ["resume_writing"], client=instance.client
        )

    with ThreadPoolExecutor(max_workers=48) as pool:
        tokens = list(pool.map(complete, range(CANDIDATES)))
    assert len(tokens) == CANDIDATES

    after = world.careers_head()
    listed = world.every("/mentors", after)
    queue = world.every("/mentors/queue", after)
    # Check exactly 50 are assigned, each mentor at exactly 5, and 150 wait.
    assert sorted(m["active_mentees"] for m in listed) == [CAP] * MENTORS
    assert {m["mentor_id"] for m in listed} == {m.user_id for m in mentors}
    assert len(queue) == CANDIDATES - MENTORS * CAP
    # (read in pages of 50: each item knows its place in the whole queue)
    assert [w["position"] for w in queue] == list(range(1, len(queue) + 1))
    # The write model agrees: every candidate has a mentor or waits, none both.
    app = world.container.application(CareersApplication)
    records: dict[str, Candidate] = {}
    for candidate in candidates:
        found: object = app.repository.get(UUID(candidate.user_id))
        assert isinstance(found, Candidate)
        records[candidate.user_id] = found
    statuses = Counter(c.status for c in records.values())
    assert statuses == {
        CandidateStatus.MENTORED: MENTORS * CAP,
        CandidateStatus.WAITING_FOR_MENTOR: CANDIDATES - MENTORS * CAP,
    }
    per_mentor = Counter(c.mentor_id for c in records.values() if c.mentor_id)
    assert sorted(per_mentor.values()) == [CAP] * MENTORS
    # Check the 150 wait in completion order (when each assessment was recorded).
    completed = completion_times(app)
    waiting = [w["candidate_id"] for w in queue]
    assert waiting == sorted(waiting, key=lambda c: (completed[c], c))
    assert [w["since"] for w in queue] == [completed[c] for c in waiting]

    # Raising one mentor's cap serves the head of the queue, at once.
    chosen = mentors[3]
    raised = world.ok(
        instances[2].client.put(
            f"/mentors/{chosen.user_id}/cap",
            json={"mentee_cap": CAP + 1},
            headers=admin.headers,
        )
    )
    after = raised["consistency_token"]
    served = world.get("/me/mentees", chosen, after)
    assert waiting[0] in [m["candidate_id"] for m in served]
    assert len(served) == CAP + 1
    assert [w["candidate_id"] for w in world.every("/mentors/queue", after)] == waiting[
        1:
    ]
