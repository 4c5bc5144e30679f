"""Log lines of a whole story over HTTP, captured at DEBUG through the real
formatter: each one JSON, each written while a request was handled carrying that
request's correlation id, and none holding a name, an email or a phone number
anyone gave.

The story is the candidate story (``tests/e2e/test_candidate_story_http.py``), then
everyone in it gives a distinctive name and phone number, and the admin lists them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import tests.e2e.test_candidate_story_http as candidate_story
from adapters.bootstrap import build_container
from adapters.http.app import create_app
from adapters.observability.logs import JsonFormatter
from adapters.settings import Settings
from tests.support.candidate_story import Story


@dataclass
class Request:
    """One request as the test saw it: the id its answer named."""

    correlation_id: str | None = None


_request: ContextVar[Request | None] = ContextVar("test_request", default=None)


class MarkRequests:
    """Outside the app: marks everything done while a request is handled."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request()
        token = _request.set(request)

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                for name, value in message["headers"]:
                    if name == b"x-correlation-id":
                        request.correlation_id = value.decode()
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            _request.reset(token)


@dataclass
class Captured(logging.Handler):
    """Every record, as the formatter wrote it, with the request it came from."""

    lines: list[tuple[str, Request | None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((self.format(record), _request.get()))

    __hash__ = logging.Handler.__hash__


@pytest.fixture
def captured() -> Iterator[Captured]:
    handler = Captured()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture
def story(tmp_path: Path, captured: Captured) -> Iterator[Story]:
    container = build_container(Settings(event_store="popo", data_dir=tmp_path))
    try:
        app = create_app(container=container)
        app.add_middleware(MarkRequests)  # outermost
        with TestClient(app) as client:
            yield Story.start(client, container, "root@example.org")
    finally:
        container.close()


def everyone(story: Story) -> list[dict[str, Any]]:
    users: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = story.ok(
            story.client.get("/users", params=params, headers=story.admin.headers)
        )
        users += page["users"]
        cursor = page["next_cursor"]
        if not cursor:
            return users


def test_a_storys_log_lines_are_json_correlated_and_hold_no_personal_data(
    story: Story, captured: Captured
) -> None:
    candidate_story.test_the_candidate_story(story)
    admin_id = story.admin.user_id
    # Everyone gives a distinctive name and phone number, changed by themselves
    # (the admin's) and seen by the admin's list.
    story.ok(
        story.client.patch(
            "/me",
            json={
                "first_name": "Zenobia",
                "last_name": "Quillfeather",
                "phone": "+14155550187",
            },
            headers=story.admin.headers,
        )
    )
    people = everyone(story)
    assert len(people) >= 5
    assert any(p["id"] == admin_id and p["phone"] == "+14155550187" for p in people)

    personal = {"Zenobia", "Quillfeather", "+14155550187", "4155550187"}
    for person in people:
        personal |= {
            str(person[k]) for k in ("email", "first_name", "last_name", "phone")
        }
        personal.add(person["email"].split("@")[0])
    personal -= {"None", "Test", "User"}  # the sign-in helper's placeholders

    lines = captured.lines
    assert len(lines) > 50
    in_requests = 0
    for text, request in lines:
        # Check every line is one JSON object with the fields.
        assert "\n" not in text
        line = json.loads(text)
        assert {"timestamp", "level", "logger", "message", "correlation_id"} <= set(
            line
        )
        # Check a line written during a request carries that request's id.
        if request is not None:
            in_requests += 1
            assert request.correlation_id is not None
            assert line["correlation_id"] == request.correlation_id, text
        # Check no name, email or phone number given appears.
        found = [value for value in personal if value.lower() in text.lower()]
        assert not found, f"{found} in {text}"
    assert in_requests > 10
