"""``GET /metrics`` on the composed embedded app: the roadmap timers due, counted
at the reminders' clock (thirty days ahead here: a nudge about an item awaiting
approval is due, a deadline next year is not; the timer worker is off so none is
sent meanwhile)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from adapters.bootstrap import build_container
from adapters.http.app import create_app
from adapters.settings import Settings
from projections.careers.timers import TIMERS_PROJECTION, DueTimers
from tests.support.mentoring_http import MentoringClient
from tests.support.metrics import scrape, value
from tests.support.roadmap_http import Mentee, goal_body

AHEAD = timedelta(days=30)
TOKEN = "scrape-" + "e" * 24


@pytest.fixture
def world(tmp_path: Path) -> Iterator[MentoringClient]:
    settings = Settings(
        event_store="popo",
        data_dir=tmp_path,
        reminders_enabled=False,
        reminders_clock_offset_seconds=AHEAD.total_seconds(),
        metrics_token=TOKEN,
        metrics_fresh_seconds=0,
    )
    container = build_container(settings)
    try:
        with TestClient(create_app(container=container)) as client:
            yield MentoringClient.start(client, container, "root@example.org")
    finally:
        container.close()


def test_timers_due_are_those_the_reminders_clock_finds_due(
    world: MentoringClient,
) -> None:
    before = scrape(world.client, TOKEN)
    assert value(before, "spotlight_timers_due") == 0

    mentee = Mentee.assigned(world)
    mentee.approve(
        mentee.request(goal_body(goal={"title": "CV", "deadline": "2027-09-01"}))
    )
    mentee.request()  # awaiting approval: the mentor is nudged later
    source, _, position = world.careers_head().partition(":")
    engine = world.container.engine
    assert engine.wait_for(source, int(position), [TIMERS_PROJECTION], 10) == 0

    with world.container.views.transaction() as session:
        timers = DueTimers.all(session)
    after = scrape(world.client, TOKEN)
    due = [t for t in timers if t.due_at <= datetime.now(UTC) + AHEAD]
    assert 0 < len(due) < len(timers)
    assert value(after, "spotlight_timers_due") == len(due)


def test_the_scrape_token_or_an_admin_only(world: MentoringClient) -> None:
    client = world.client
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer " + "x" * 31})
    assert wrong.status_code == 401
    assert wrong.headers["content-type"] == "application/problem+json"
    candidate = world.candidate()
    assert client.get("/metrics", headers=candidate.headers).status_code == 403
    assert scrape(client, TOKEN)
    assert scrape(client, world.admin.access_token)
