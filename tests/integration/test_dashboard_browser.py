"""The operations dashboard in headless Chromium, against the service on the real
servers: a story told through the API, then the page signed in through its own
form, every chart drawn with the story's figures, nothing loaded from elsewhere,
no console message, usable at phone width; screenshots kept in
``var/test-artifacts/``.

Chromium is Debian's (``scripts/browser``, run by ``make test``): without it these
tests fail, they are not skipped.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect, sync_playwright

from adapters.http.app import create_app
from adapters.settings import Settings
from commands.base import Actor
from commands.identity.messages import BootstrapAdmin
from commands.onboarding.messages import RecordOffering
from tests.support.candidate_story import INTERVIEW_SUITS, RESUME_WRITING, Story
from tests.support.dashboard_browser import (
    CHROMIUM,
    DESKTOP,
    PHONE,
    Watched,
    figures,
    screenshot,
    served,
)
from tests.support.identity import SignedIn, sign_in
from tests.support.onboarding_http import RealServices, app_on_real_services
from tests.support.search_http import approved_npo

pytestmark = pytest.mark.real_services

CHARTS = (
    "candidate-funnel",
    "matches",
    "waiting-queues",
    "offerings-by-region",
    "projection-lag",
)
LIVE = {"waiting-queues", "projection-lag"}
# Reports whose figures change while the page is open (the views catch up with
# the sign-ins themselves): compared by their labels, not their values.
MOVING = {"projection-lag"}
WAIT_MS = 60_000
NARROWEST = 360  # px: the narrowest phone the page is laid out for
DAYCARE = {
    "title": "Daycare during interviews",
    "summary": "Someone minds the children while you interview",
    "categories": ["child_care"],
    "tags": ["kids"],
    "location": {"region": "Hamburg", "country": "DE"},
    "deadlines": [],
}


def located(region: str, offering: dict[str, Any]) -> dict[str, Any]:
    return {**offering, "location": {**offering["location"], "region": region}}


@dataclass
class World:
    """The story told, the service serving it, and who is who."""

    story: Story
    base_url: str
    browser: Browser
    admin_email: str
    leader: SignedIn
    leader_email: str
    candidate_email: str


def tell_the_story(story: Story) -> tuple[SignedIn, str, str]:
    """Three NPOs in three regions (two matched with the leader, one waiting for
    one), a mentor with room for one mentee, three candidates: one mentored, one
    waiting, one only signed up. The leader and that candidate, by email."""
    onboarding = story.onboarding
    leader_email = f"leader-{uuid4().hex[:8]}@example.org"
    leader = sign_in(story.client, leader_email)
    story.mentoring.grant(leader, "COMMUNITY_LEADER")
    onboarding.community(story.admin, ["resume-writing"], leader)

    approved_npo(
        onboarding,
        leader,
        [RESUME_WRITING, INTERVIEW_SUITS],
        location={"region": "Bavaria", "country": "DE"},
    )
    approved_npo(
        onboarding,
        leader,
        [located("Berlin", RESUME_WRITING)],
        location={"region": "Berlin", "country": "DE"},
    )
    # No community serves gardening or child care: this NPO waits for a leader.
    owner = onboarding.user("NPO")
    waiting_npo = onboarding.npo(
        owner,
        service_areas=["Gardening"],
        location={"region": "Hamburg", "country": "DE"},
    )
    offering_id = onboarding.offering(owner, waiting_npo, **located("Hamburg", DAYCARE))
    # What the offering flow records for an NPO's first offering (as
    # ``approved_npo`` does).
    story.container.dispatcher.dispatch(
        RecordOffering(
            actor=Actor.system("t"),
            npo_id=UUID(waiting_npo),
            offering_id=UUID(offering_id),
        )
    )
    onboarding.wait_for_npo(waiting_npo, owner, leader=False)

    mentor = story.mentor(["resume_writing"])
    story.ok(
        story.client.put(
            f"/mentors/{mentor.user_id}/cap",
            json={"mentee_cap": 1},
            headers=story.admin.headers,
        )
    )
    mentored = story.mentoring.candidate()
    story.get(
        "/me/career-profile",
        mentored,
        story.mentoring.complete(mentored, ["resume_writing"]),
    )
    waiting = story.mentoring.candidate()
    story.get(
        "/me/career-profile",
        waiting,
        story.mentoring.complete(waiting, ["resume_writing"]),
    )
    candidate_email = f"candidate-{uuid4().hex[:8]}@example.org"
    sign_in(story.client, candidate_email, roles=("CANDIDATE",))
    return leader, leader_email, candidate_email


@pytest.fixture(scope="module")
def world(
    *,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_url: str,
    mongo_url: str,
    redis_url: str,
    kafka_bootstrap: str,
    s3_endpoint: str,
) -> Iterator[World]:
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: run scripts/browser"
    tmp_path: Path = tmp_path_factory.mktemp("dashboard")
    services = RealServices(
        tmp_path, postgres_url, mongo_url, redis_url, kafka_bootstrap, s3_endpoint
    )
    # Reports over an export brought up to date at every request.
    fresh = {"analytics_max_age_seconds": 0}
    with app_on_real_services(services, "dashboard", **fresh) as (
        client,
        container,
        run,
    ):
        admin_email = f"admin-{run}@example.org"
        story = Story.start(client, container, admin_email)
        leader, leader_email, candidate_email = tell_the_story(story)
        with served(client.app) as base_url, sync_playwright() as playwright:  # type: ignore[arg-type]
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
            try:
                yield World(
                    story,
                    base_url,
                    browser,
                    admin_email,
                    leader,
                    leader_email,
                    candidate_email,
                )
            finally:
                browser.close()


def signed_in_page(world: World, email: str, viewport: dict[str, int]) -> Watched:
    """The dashboard in a tab of its own, signed in through its form."""
    watched = Watched.open(world.browser, world.base_url, viewport)
    sign_in_on(watched.page, email)
    return watched


def sign_in_on(page: Page, email: str) -> None:
    expect(page.locator("#dev-sign-in")).to_be_visible()
    page.fill("#dev-email", email)
    page.click("#dev-sign-in button[type=submit]")


def charts_settled(page: Page) -> None:
    """Every chart loaded, or failed with its message; fails at once, with a
    screenshot, when the page shows a problem instead of the charts."""
    page.wait_for_selector(
        "#problem:not([hidden]), #charts figure.chart", timeout=WAIT_MS
    )
    problem = page.locator("#problem")
    if problem.is_visible():
        screenshot(page, "dashboard-problem")
        pytest.fail(f"the page shows a problem: {problem.text_content()}")
    expect(page.locator("figure.chart")).to_have_count(len(CHARTS), timeout=WAIT_MS)
    expect(page.locator('figure.chart[data-state="loading"]')).to_have_count(
        0, timeout=WAIT_MS
    )


def answered(world: World, page: Page, who: SignedIn, report: str) -> dict[str, Any]:
    """The report as the API answers it, for the period the page shows."""
    params = (
        {}
        if report in LIVE
        else {
            "from": page.input_value("#from"),
            "to": page.input_value("#to"),
        }
    )
    body: dict[str, Any] = world.story.ok(
        world.story.client.get(f"/reports/{report}", params=params, headers=who.headers)
    )
    return body


def assert_drawn(shown: dict[str, Any]) -> None:
    """The chart is on its canvas: painted, in several colours, its bars in the
    first series' colour when it has figures, and its data the table's."""
    canvas = shown["canvas"]
    assert shown["state"] == "ready", shown
    assert shown["rendered"] == "chart", shown
    assert canvas["width"] > 100, canvas
    assert canvas["height"] > 100, canvas
    # Axes, grid and labels at least.
    assert canvas["painted"] > canvas["width"] * canvas["height"] * 0.005, canvas
    assert canvas["colours"] > 3, canvas
    if shown["chart_total"]:
        assert canvas["bars"] > 100, canvas


def value_of(report: str) -> str:
    return {
        "candidate-funnel": "candidates",
        "matches": "matches",
        "waiting-queues": "waiting",
        "offerings-by-region": "offerings",
        "projection-lag": "lag_events",
    }[report]


def assert_shows(world: World, page: Page, who: SignedIn, report: str) -> list[Any]:
    """The figure's table holds exactly what the API answers; the chart draws it.
    The rows."""
    shown = figures(page)[report]
    assert_drawn(shown)
    api = answered(world, page, who, report)
    assert shown["columns"] == api["columns"]
    if report in MOVING:
        label = api["columns"][0]
        assert [r[label] for r in shown["rows"]] == [r[label] for r in api["rows"]]
    else:
        assert shown["rows"] == api["rows"]
    assert shown["chart_total"] == sum(r[value_of(report)] for r in shown["rows"])
    assert shown["summary"]
    rows: list[Any] = shown["rows"]
    return rows


def by(rows: list[dict[str, Any]], key: str, value: str) -> Counter[str]:
    totals: Counter[str] = Counter()
    for row in rows:
        totals[row[key]] += row[value]
    return totals


def admin_of(world: World) -> SignedIn:
    return sign_in(world.story.client, world.admin_email)


def test_an_admin_sees_every_chart_with_the_story_s_figures(world: World) -> None:
    watched = signed_in_page(world, world.admin_email, DESKTOP)
    page = watched.page
    charts_settled(page)
    expect(page.locator("#who-name")).to_contain_text("ADMIN")
    admin = admin_of(world)

    # Check each chart is drawn, its table is the API's answer, and the story's
    # figures are there.
    funnel = assert_shows(world, page, admin, "candidate-funnel")
    assert [(r["step"], r["candidates"]) for r in funnel] == [
        ("signed-up", 3),
        ("assessed", 2),
        ("mentored", 1),
        ("first-item-approved", 0),
        ("roadmap-completed", 0),
    ]
    matches = assert_shows(world, page, admin, "matches")
    assert by(matches, "kind", "matches") == {"npo-leader": 2, "candidate-mentor": 1}
    offerings = assert_shows(world, page, admin, "offerings-by-region")
    assert {(r["region"], r["category"]): r["offerings"] for r in offerings} == {
        ("Bavaria", "business_attire"): 1,
        ("Bavaria", "resume_writing"): 1,
        ("Berlin", "resume_writing"): 1,
        ("Hamburg", "child_care"): 1,
    }
    queues = assert_shows(world, page, admin, "waiting-queues")
    waiting = {r["queue"]: r["waiting"] for r in queues}
    assert sum(waiting.values()) >= 2, waiting
    lag = assert_shows(world, page, admin, "projection-lag")
    assert lag
    assert all(r["lag_events"] >= 0 for r in lag)

    # Check the token is kept in this tab's session storage, and nowhere else.
    stored = page.evaluate(
        "() => [sessionStorage.length, localStorage.length, document.cookie]"
    )
    assert stored == [1, 0, ""]
    screenshot(page, "dashboard-desktop")
    watched.assert_clean()
    watched.close()


def test_the_page_fits_a_phone(world: World) -> None:
    watched = signed_in_page(world, world.admin_email, PHONE)
    page = watched.page
    charts_settled(page)

    # Check every chart is drawn, one under the other, with no sideways scroll.
    for shown in figures(page).values():
        assert_drawn(shown)
    width = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert width == [PHONE["width"], PHONE["width"]]
    lefts = page.evaluate(
        "() => [...document.querySelectorAll('figure.chart')]"
        ".map((f) => Math.round(f.getBoundingClientRect().left))"
    )
    assert len(set(lefts)) == 1, lefts
    screenshot(page, "dashboard-phone")

    # Check at the narrowest phone the page is for: the figures fill the width
    # less the page's margins (0.75 rem each side), and nothing scrolls sideways.
    page.set_viewport_size({"width": NARROWEST, "height": PHONE["height"]})
    expect(page.locator("figure.chart").first).to_have_js_property(
        "offsetWidth", NARROWEST - 2 * 12
    )
    width = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert width == [NARROWEST, NARROWEST]
    watched.assert_clean()
    watched.close()


def test_a_leader_sees_the_reports_of_their_communities(world: World) -> None:
    watched = signed_in_page(world, world.leader_email, DESKTOP)
    page = watched.page
    charts_settled(page)
    expect(page.locator("#who-name")).to_contain_text("COMMUNITY_LEADER")

    # Check the leader's figures are the API's answers to the leader: their
    # community's NPOs, not the one waiting for a leader.
    matches = assert_shows(world, page, world.leader, "matches")
    assert by(matches, "kind", "matches")["npo-leader"] == 2
    offerings = assert_shows(world, page, world.leader, "offerings-by-region")
    assert by(offerings, "region", "offerings") == {"Bavaria": 2, "Berlin": 1}
    assert_shows(world, page, world.leader, "waiting-queues")
    assert_shows(world, page, world.leader, "projection-lag")
    # Check a report the catalogue does not list for leaders is not asked for.
    readable = {
        r["name"]
        for r in world.story.ok(
            world.story.client.get("/reports", headers=world.leader.headers)
        )["reports"]
    }
    for report, shown in figures(page).items():
        if report not in readable:
            assert shown["state"] == "unavailable", shown
            assert not any(f"/reports/{report}" in url for url in watched.requests)
    screenshot(page, "dashboard-leader")
    watched.assert_clean()
    watched.close()


def test_a_candidate_is_told_the_page_is_not_for_them(world: World) -> None:
    watched = signed_in_page(world, world.candidate_email, DESKTOP)
    page = watched.page

    expect(page.locator("#not-allowed")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#not-allowed")).to_contain_text("admins and community leaders")
    assert page.locator("#dashboard").is_hidden()
    assert not any("/reports" in url for url in watched.requests)
    screenshot(page, "dashboard-not-allowed")
    watched.assert_clean()
    watched.close()


def test_a_new_admin_of_the_page_signs_in_the_same_way(world: World) -> None:
    # An admin bootstrapped as the operator would, then signed in on the page.
    email = f"admin-{uuid4().hex[:8]}@example.org"
    world.story.container.dispatcher.dispatch(
        BootstrapAdmin(actor=Actor.system("test"), email=email)
    )
    watched = signed_in_page(world, email, DESKTOP)
    charts_settled(watched.page)

    # Check signing out forgets the tokens and shows the sign-in form again.
    watched.page.click("#sign-out")
    expect(watched.page.locator("#dev-sign-in")).to_be_visible()
    assert watched.page.evaluate("() => sessionStorage.length") == 0
    expect(watched.page.locator("figure.chart")).to_have_count(0)
    watched.assert_clean()
    watched.close()


def test_a_report_the_api_cannot_answer_shows_its_problem(world: World) -> None:
    watched = Watched.open(world.browser, world.base_url, DESKTOP)
    page = watched.page
    # The API's answer to one report replaced by an outage's.
    outage = {
        "type": "about:blank",
        "title": "Service Unavailable",
        "status": 503,
        "detail": "postgres cannot be reached now.",
        "backend": "postgres",
    }
    page.route(
        "**/reports/matches?*",
        lambda route: route.fulfill(
            status=503,
            content_type="application/problem+json",
            headers={"Retry-After": "1"},
            body=json.dumps(outage),
        ),
    )
    sign_in_on(page, world.admin_email)
    charts_settled(page)

    # Check the figure says what went wrong, the others are drawn, and the page
    # says how many reports could not be shown.
    shown = figures(page)
    assert shown["matches"]["state"] == "error"
    assert shown["matches"]["problem"] == (
        "This report could not be loaded: Service Unavailable: "
        "postgres cannot be reached now."
    )
    for report in set(CHARTS) - {"matches"}:
        assert_drawn(shown[report])
    expect(page.locator("#status")).to_have_text(
        f"1 of {len(CHARTS)} reports could not be shown."
    )
    assert watched.errors == []
    watched.close()


def test_without_the_chart_library_the_figures_are_tables_and_the_page_says_why(
    world: World, tmp_path: Path
) -> None:
    # The same kind of app, embedded, whose chart library was never fetched.
    settings = Settings(
        event_store="sqlite", data_dir=tmp_path, vendor_dir=tmp_path / "no-vendor"
    )
    email = f"admin-{uuid4().hex[:8]}@example.org"
    with TestClient(create_app(settings)) as client, served(client.app) as base_url:  # type: ignore[arg-type]
        client.app.state.container.dispatcher.dispatch(  # type: ignore[attr-defined]
            BootstrapAdmin(actor=Actor.system("test"), email=email)
        )
        watched = Watched.open(world.browser, base_url, DESKTOP)
        sign_in_on(watched.page, email)
        charts_settled(watched.page)

        # Check the page says the library is missing and how to get it, and shows
        # each report's figures as a table.
        missing = watched.page.locator("#chart-missing")
        expect(missing).to_be_visible()
        expect(missing).to_contain_text("make install")
        for report, shown in figures(watched.page).items():
            assert (shown["state"], shown["rendered"]) == ("ready", "table"), report
            assert shown["columns"], report
        screenshot(watched.page, "dashboard-without-charts")
        watched.assert_clean()
        watched.close()


def test_an_expired_access_token_is_renewed_with_the_refresh_token(
    world: World,
) -> None:
    watched = signed_in_page(world, world.admin_email, DESKTOP)
    page = watched.page
    charts_settled(page)
    # The access token no longer accepted (as when its 15 minutes are over).
    page.evaluate(
        """() => {
          const key = "spotlight.dashboard.session";
          const session = JSON.parse(sessionStorage.getItem(key));
          session.access_token = "expired";
          sessionStorage.setItem(key, JSON.stringify(session));
          document.getElementById("status").textContent = "";
        }"""
    )

    page.click("#period button[type=submit]")

    # Check the first request was refused, the tokens renewed once, and every
    # chart shown again.
    expect(page.locator("#status")).to_contain_text("Updated", timeout=WAIT_MS)
    charts_settled(page)
    assert [r for r in watched.refused if "/reports" in r] == [
        f"401 {world.base_url}/reports"
    ]
    assert sum(url.endswith("/auth/refresh") for url in watched.requests) == 1
    token = page.evaluate(
        "() => JSON.parse(sessionStorage.getItem('spotlight.dashboard.session'))"
        ".access_token"
    )
    assert token != "expired"
    for shown in figures(page).values():
        assert shown["state"] == "ready", shown
    watched.close()
