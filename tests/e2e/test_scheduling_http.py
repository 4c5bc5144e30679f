"""Notifications, availability, meetings and calendar feeds over HTTP.

The caller is set with a test header through FastAPI's dependency override of
``current_user``; sign-in itself is identity's to test (its permission matrix walks
these routes with real tokens).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from fastapi import HTTPException, Request
from fastapi.testclient import TestClient

from adapters.bootstrap import Container, build_container
from adapters.http.app import create_app
from adapters.http.auth import CurrentUser, current_user
from adapters.settings import Settings
from commands.base import Actor
from commands.scheduling.messages import ScheduleIntroMeeting
from domain.identity.values import Role
from tests.support.ics import parse, when
from tests.support.identity import sign_in

ADA, BOB, ADMIN = uuid4(), uuid4(), uuid4()
ROLES = {ADA: {Role.NPO}, BOB: {Role.COMMUNITY_LEADER}, ADMIN: {Role.ADMIN}}


def as_user(user: UUID) -> dict[str, str]:
    return {"X-Test-User": str(user)}


def caller(request: Request) -> CurrentUser:
    header = request.headers.get("X-Test-User")
    if header is None:
        raise HTTPException(401, "Sign in.")
    user = UUID(header)
    return CurrentUser(user, frozenset(ROLES[user]))


@pytest.fixture
def container(tmp_path: Path) -> Iterator[Container]:
    built = build_container(
        Settings(event_store="popo", data_dir=tmp_path, run_projections_in_api=True)
    )
    yield built
    built.close()


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    app = create_app(container=container)
    app.dependency_overrides[current_user] = caller
    with TestClient(app) as client:
        yield client


def free_on_wednesdays(client: TestClient, user: UUID, zone: str) -> str:
    response = client.put(
        "/me/availability",
        json={
            "time_zone": zone,
            "ranges": [{"weekday": 2, "start": "08:00", "end": "20:00"}],
        },
        headers=as_user(user),
    )
    assert response.status_code == 200, response.text
    token = response.json()["consistency_token"]
    assert isinstance(token, str)
    return token


def book_intro(container: Container, title: str = "Introduction, NPO & leader") -> str:
    result = container.dispatcher.dispatch(
        ScheduleIntroMeeting(
            actor=Actor.system("corr"),
            request_key=f"test:{uuid4()}",
            parties=[[str(ADA)], [str(BOB)]],
            organiser_id=str(BOB),
            title=title,
            trigger_at=datetime.now(UTC),
        )
    )
    assert result.consistency_token is not None
    return result.consistency_token


def test_availability_is_entered_and_read_back(client: TestClient) -> None:
    token = free_on_wednesdays(client, ADA, "Europe/Berlin")

    response = client.get(f"/me/availability?after={token}", headers=as_user(ADA))

    assert response.status_code == 200
    assert response.json()["time_zone"] == "Europe/Berlin"
    assert response.json()["ranges"] == [
        {"weekday": 2, "start": "08:00", "end": "20:00"}
    ]
    bad = client.put(
        "/me/availability",
        json={"time_zone": "Nowhere/Town", "ranges": []},
        headers=as_user(ADA),
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert client.get("/me/availability", headers=as_user(BOB)).status_code == 404


def test_a_booked_intro_shows_in_meetings_notifications_and_calendar(
    client: TestClient, container: Container
) -> None:
    free_on_wednesdays(client, ADA, "Europe/Berlin")
    free_on_wednesdays(client, BOB, "America/New_York")
    token = book_intro(container)

    meetings = client.get(f"/me/meetings?after={token}", headers=as_user(ADA))
    assert meetings.status_code == 200, meetings.text
    (meeting,) = meetings.json()["items"]
    assert meeting["kind"] == "intro"
    assert meeting["attendee_ids"] == sorted([str(ADA), str(BOB)])
    starts = datetime.fromisoformat(meeting["starts_at"])
    assert starts.weekday() == 2

    notices = client.get(f"/me/notifications?after={token}", headers=as_user(BOB))
    (notice,) = notices.json()["items"]
    assert notice["kind"] == "meeting_booked"
    assert notice["payload"] == {"meeting_id": meeting["id"]}
    assert notice["read_at"] is None

    # Check only the recipient can mark it read; others are told it is not there.
    assert (
        client.post(
            f"/me/notifications/{notice['id']}/read", headers=as_user(ADMIN)
        ).status_code
        == 404
    )
    read = client.post(f"/me/notifications/{notice['id']}/read", headers=as_user(BOB))
    assert read.status_code == 200
    after = read.json()["consistency_token"]
    unread = client.get(
        f"/me/notifications?unread_only=true&after={after}", headers=as_user(BOB)
    )
    assert unread.json()["items"] == []

    ics = client.get("/me/calendar.ics", headers=as_user(ADA))
    assert ics.status_code == 200
    assert ics.headers["content-type"] == "text/calendar; charset=utf-8"
    (event,) = parse(ics.text).all("VEVENT")
    assert when(event.get("DTSTART")) == starts
    assert event.get("SUMMARY").value == "Introduction\\, NPO & leader"


def test_the_subscription_url_works_without_a_token_and_can_be_revoked(
    client: TestClient, container: Container
) -> None:
    free_on_wednesdays(client, ADA, "UTC")
    free_on_wednesdays(client, BOB, "UTC")
    book_intro(container)
    issued = client.post("/me/calendar-token", headers=as_user(ADA))
    assert issued.status_code == 201
    body = issued.json()
    path = body["url"].split("://", 1)[1].split("/", 1)[1]
    assert body["webcal_url"].startswith("webcal://")
    client.get(f"/me/meetings?after={body['consistency_token']}", headers=as_user(ADA))

    feed = client.get(f"/{path}")  # no Authorization: the URL is the secret

    assert feed.status_code == 200
    assert len(parse(feed.text).all("VEVENT")) == 1
    # Check a new token stops the old URL; revoking stops the new one.
    again = client.post("/me/calendar-token", headers=as_user(ADA)).json()
    client.get(f"/me/meetings?after={again['consistency_token']}", headers=as_user(ADA))
    assert client.get(f"/{path}").status_code == 404
    new_path = again["url"].split("://", 1)[1].split("/", 1)[1]
    assert client.get(f"/{new_path}").status_code == 200
    assert client.delete("/me/calendar-token", headers=as_user(ADA)).status_code == 204
    container.engine.catch_up()
    assert client.get(f"/{new_path}").status_code == 404
    assert client.get("/calendar/" + "x" * 43 + ".ics").status_code == 404


def test_pages_are_bounded_and_cursors_checked(
    client: TestClient, container: Container
) -> None:
    free_on_wednesdays(client, ADA, "UTC")
    free_on_wednesdays(client, BOB, "UTC")
    token = ""
    for _ in range(3):
        token = book_intro(container)

    first = client.get(f"/me/notifications?limit=2&after={token}", headers=as_user(ADA))
    cursor = first.json()["next_cursor"]
    rest = client.get(f"/me/notifications?cursor={cursor}", headers=as_user(ADA))

    assert len(first.json()["items"]) == 2
    assert len(rest.json()["items"]) == 1
    assert rest.json()["next_cursor"] is None
    ids = [n["id"] for n in first.json()["items"] + rest.json()["items"]]
    assert len(set(ids)) == 3
    assert (
        client.get("/me/notifications?limit=1000", headers=as_user(ADA)).status_code
        == 422
    )
    assert (
        client.get(
            "/me/notifications?cursor=nonsense", headers=as_user(ADA)
        ).status_code
        == 422
    )
    assert (
        client.get("/me/meetings?cursor=bad!", headers=as_user(ADA)).status_code == 422
    )


def test_every_route_needs_a_signed_in_user(client: TestClient) -> None:
    for method, path in [
        ("GET", "/me/notifications"),
        ("POST", f"/me/notifications/{uuid4()}/read"),
        ("GET", "/me/meetings"),
        ("GET", "/me/availability"),
        ("PUT", "/me/availability"),
        ("GET", "/me/calendar.ics"),
        ("POST", "/me/calendar-token"),
        ("DELETE", "/me/calendar-token"),
    ]:
        assert client.request(method, path).status_code == 401, path


def test_with_real_sign_in_each_user_sees_only_their_own(
    container: Container,
) -> None:
    app = create_app(container=container)  # no override: identity's tokens
    with TestClient(app) as client:
        npo = sign_in(client, roles=("NPO",))
        candidate = sign_in(client, roles=("CANDIDATE",))
        assert client.get("/me/notifications").status_code == 401
        put = client.put(
            "/me/availability",
            json={
                "time_zone": "UTC",
                "ranges": [{"weekday": 1, "start": "09:00", "end": "10:00"}],
            },
            headers=npo.headers,
        )
        assert put.status_code == 200
        token = put.json()["consistency_token"]
        mine = client.get(f"/me/availability?after={token}", headers=npo.headers)
        assert mine.status_code == 200
        theirs = client.get("/me/availability", headers=candidate.headers)
        assert theirs.status_code == 404
        feed = client.post("/me/calendar-token", headers=candidate.headers)
        assert feed.status_code == 201
        ics = client.get("/me/calendar.ics", headers=npo.headers)
        assert ics.status_code == 200
        assert parse(ics.text).all("VEVENT") == []
