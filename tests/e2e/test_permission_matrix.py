"""Who may call what: every route of the OpenAPI document, every role, anonymous.

``MATRIX`` says, per route, who is let through: ``PUBLIC`` (anyone), ``SIGNED_IN``
(any signed-in user, whatever their roles) or a set of roles. Each route is called
by an anonymous client, a signed-in user without roles and one user per role.
Refused anonymous calls must be 401, refused signed-in calls 403, and let-through
calls anything else (404 and 422 are fine: the probe sends made-up ids and empty
bodies). Ownership (a user sees only their own record) is tested per context.

A route missing from the table fails ``test_every_route_has_an_entry``: add the
route's entry with the route.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from adapters.bootstrap import Container
from adapters.http.app import create_app
from adapters.settings import Settings
from commands.base import Actor
from commands.identity.messages import BootstrapAdmin
from domain.identity.values import Role
from tests.support.consistency import far_beyond, spy_on_waits
from tests.support.identity import SignedIn, sign_in

ANONYMOUS = "anonymous"
NO_ROLE = "signed in, no role"
PERSONAS = (ANONYMOUS, NO_ROLE, *(r.value for r in Role))


@dataclass(frozen=True)
class Access:
    allowed: frozenset[str]
    # Path parameters that must hold a particular value for the probe.
    sample: tuple[tuple[str, str], ...] = ()


PUBLIC = Access(frozenset(PERSONAS))
SIGNED_IN = Access(frozenset(PERSONAS) - {ANONYMOUS})


def roles(*allowed: Role, sample: tuple[tuple[str, str], ...] = ()) -> Access:
    return Access(frozenset(r.value for r in allowed), sample)


ADMIN = roles(Role.ADMIN)
NPO = roles(Role.NPO)
LEADER = roles(Role.COMMUNITY_LEADER)
MENTOR = roles(Role.CAREER_MENTOR)
CANDIDATE = roles(Role.CANDIDATE)
# A career mentor (their own mentee's), or the candidate themselves (their own id:
# tests/e2e/test_roadmap_http.py); the probe's made-up id is no candidate's own.
EITHER = MENTOR

MATRIX: dict[str, Access] = {
    # Health, public keys, the development issuer: public by nature.
    "GET /health/live": PUBLIC,
    "GET /health/ready": PUBLIC,
    # Metrics: admins, or the scraper (tests/integration/test_observability_real.py).
    "GET /metrics": ADMIN,
    "GET /.well-known/jwks.json": PUBLIC,
    "GET /dev-issuer/.well-known/openid-configuration": PUBLIC,
    "GET /dev-issuer/jwks": PUBLIC,
    "POST /dev-issuer/token": PUBLIC,
    # Identity: the body carries the credential.
    "POST /auth/sign-in": PUBLIC,
    "POST /auth/refresh": PUBLIC,
    "POST /auth/sign-out": PUBLIC,
    "POST /auth/sign-out-everywhere": SIGNED_IN,
    # Careers: a candidate's own record; a candidate for an admin or their mentor
    # (ownership and visibility: tests/e2e/test_careers_candidates_http.py). Before
    # PUT /me/roles/{role}, whose probe makes every persona it lets in a CANDIDATE.
    "GET /me/career-profile": roles(Role.CANDIDATE),
    "PUT /me/career-profile": roles(Role.CANDIDATE),
    "POST /me/assessments": roles(Role.CANDIDATE),
    "GET /me/assessments": roles(Role.CANDIDATE),
    "GET /candidates/{candidate_id}": roles(Role.ADMIN, Role.CAREER_MENTOR),
    "GET /me": SIGNED_IN,
    "PATCH /me": SIGNED_IN,
    "GET /users": ADMIN,
    "GET /users/{user_id}": ADMIN,  # or the user themselves (ownership test)
    "PUT /users/{user_id}/roles/{role}": ADMIN,
    "DELETE /users/{user_id}/roles/{role}": ADMIN,
    "POST /users/{user_id}/disable": ADMIN,
    "POST /users/{user_id}/enable": ADMIN,
    "DELETE /users/{user_id}": ADMIN,
    # Scheduling: own notifications, availability, meetings and calendar.
    "GET /calendar/{feed_token}.ics": PUBLIC,  # the secret token is the credential
    "GET /me/calendar.ics": SIGNED_IN,
    "POST /me/calendar-token": SIGNED_IN,
    "DELETE /me/calendar-token": SIGNED_IN,
    "GET /me/meetings": SIGNED_IN,
    "GET /me/notifications": SIGNED_IN,
    "POST /me/notifications/{notification_id}/read": SIGNED_IN,
    "GET /me/availability": SIGNED_IN,
    "PUT /me/availability": SIGNED_IN,
    # Onboarding: communities, NPOs, offerings.
    "GET /communities": SIGNED_IN,
    "POST /communities": roles(Role.COMMUNITY_LEADER, Role.ADMIN),
    "POST /communities/default": ADMIN,
    "GET /communities/{community_id}": SIGNED_IN,
    "PUT /communities/{community_id}": roles(Role.COMMUNITY_LEADER, Role.ADMIN),
    "PUT /communities/{community_id}/leaders/{user_id}": ADMIN,
    "DELETE /communities/{community_id}/leaders/{user_id}": ADMIN,
    "GET /leaders": ADMIN,
    "PUT /leaders/{user_id}/cap": ADMIN,
    "GET /me/assigned-npos": LEADER,
    "GET /me/npos": SIGNED_IN,
    "POST /npos": NPO,
    "GET /npos": ADMIN,
    "GET /npos/{npo_id}": SIGNED_IN,
    "PUT /npos/{npo_id}": NPO,
    "DELETE /npos/{npo_id}": ADMIN,
    "POST /npos/{npo_id}/approval": ADMIN,
    "PUT /npos/{npo_id}/communities": ADMIN,
    "PUT /npos/{npo_id}/members/{user_id}": NPO,
    "DELETE /npos/{npo_id}/members/{user_id}": NPO,
    "GET /npos/{npo_id}/offerings": SIGNED_IN,
    "POST /npos/{npo_id}/offerings": NPO,
    "GET /npos/{npo_id}/report": SIGNED_IN,
    "POST /npos/{npo_id}/verification": LEADER,
    "GET /offering-categories": SIGNED_IN,
    "POST /offering-categories": ADMIN,
    "GET /offerings": SIGNED_IN,  # published offerings of approved NPOs only
    "GET /offerings/{offering_id}": SIGNED_IN,
    "PUT /offerings/{offering_id}": NPO,
    "DELETE /offerings/{offering_id}": NPO,
    "POST /offerings/{offering_id}/resources": NPO,
    "DELETE /offerings/{offering_id}/resources/{resource_id}": NPO,
    "POST /offerings/{offering_id}/resources/{resource_id}/attach": NPO,
    "GET /offerings/{offering_id}/resources/{resource_id}/download": SIGNED_IN,
    "POST /offerings/{offering_id}/takedown": ADMIN,
    "GET /onboarding-policy": ADMIN,
    "PUT /onboarding-policy": ADMIN,
    # Careers: recommendations (own only) and a mentor's suggestions (own mentees).
    "GET /me/recommendations": roles(Role.CANDIDATE),
    "POST /candidates/{candidate_id}/suggestions": roles(Role.CAREER_MENTOR),
    # Careers: the roadmap's writes (ownership: tests/e2e/test_roadmap_http.py):
    # the candidate's own, their assigned mentor's, and either's.
    "POST /me/roadmap/items": CANDIDATE,
    "POST /me/roadmap/items/{item_id}/accept": CANDIDATE,
    "POST /me/roadmap/items/{item_id}/decline": CANDIDATE,
    "PUT /me/roadmap/feedback": CANDIDATE,
    "POST /candidates/{candidate_id}/roadmap/items/{item_id}/approval": MENTOR,
    "POST /candidates/{candidate_id}/roadmap/items/{item_id}/decline": MENTOR,
    "POST /candidates/{candidate_id}/roadmap/suggestions": MENTOR,
    "PUT /candidates/{candidate_id}/roadmap/priorities": MENTOR,
    "PUT /candidates/{candidate_id}/roadmap/items/{item_id}/modules/{module_id}": (
        EITHER
    ),
    "POST /candidates/{candidate_id}/roadmap/items/{item_id}/start": EITHER,
    "POST /candidates/{candidate_id}/roadmap/items/{item_id}/complete": EITHER,
    "POST /candidates/{candidate_id}/roadmap/items/{item_id}/withdraw": EITHER,
    "PUT /candidates/{candidate_id}/roadmap/items/{item_id}/deadlines/{target_id}": (
        EITHER
    ),
    # Careers: an NPO's enrolments and engagement (NP5, NP6): its members and
    # admins (404 for other NPOs: tests/e2e/test_roadmap_enrolments_http.py).
    "GET /npos/{npo_id}/enrolments": roles(Role.NPO, Role.ADMIN),
    "GET /npos/{npo_id}/engagement": roles(Role.NPO, Role.ADMIN),
    # Careers: mentors (CM2); a mentor reads only their own mentees.
    "PUT /me/mentor-profile": MENTOR,
    "GET /me/mentor-profile": MENTOR,
    "GET /me/mentees": MENTOR,
    # Careers: the roadmap (own; a mentor their mentees', admins any).
    "GET /me/roadmap": CANDIDATE,
    "GET /me/roadmap/progress-history": CANDIDATE,
    "GET /candidates/{candidate_id}/roadmap": roles(Role.ADMIN, Role.CAREER_MENTOR),
    "DELETE /me/mentees/{candidate_id}": MENTOR,
    "GET /mentors": ADMIN,
    "GET /mentors/queue": ADMIN,
    "PUT /mentors/{user_id}/cap": ADMIN,
    "GET /careers-policy": ADMIN,
    "PUT /careers-policy": ADMIN,
    # Reports (#9, NP6, CL6, A4): the catalogue for anyone signed in (each sees
    # those they may read); each report for its readers, narrowed to their own
    # rows (tests/integration/test_reports_http_real.py).
    "GET /reports": SIGNED_IN,
    "GET /reports/matches": roles(
        Role.ADMIN, Role.COMMUNITY_LEADER, Role.NPO, Role.CAREER_MENTOR
    ),
    "GET /reports/offerings-by-region": roles(
        Role.ADMIN, Role.COMMUNITY_LEADER, Role.NPO
    ),
    "GET /reports/candidate-funnel": roles(
        Role.ADMIN, Role.CAREER_MENTOR, Role.CANDIDATE
    ),
    "GET /reports/time-in-status": roles(
        Role.ADMIN, Role.COMMUNITY_LEADER, Role.NPO, Role.CAREER_MENTOR
    ),
    "GET /reports/offering-engagement": roles(
        Role.ADMIN, Role.COMMUNITY_LEADER, Role.NPO, Role.CAREER_MENTOR
    ),
    "GET /reports/community": roles(Role.ADMIN, Role.COMMUNITY_LEADER),
    "GET /reports/admin-overview": ADMIN,
    "GET /reports/waiting-queues": roles(
        Role.ADMIN, Role.COMMUNITY_LEADER, Role.CAREER_MENTOR
    ),
    "GET /reports/projection-lag": roles(Role.ADMIN, Role.COMMUNITY_LEADER),
    # Late: it makes whoever is let through a CANDIDATE (CANDIDATE-only routes
    # come before it).
    "PUT /me/roles/{role}": Access(SIGNED_IN.allowed, (("role", "CANDIDATE"),)),
    # Last: it erases whoever is let through (an admin may not erase themselves).
    "DELETE /me": Access(SIGNED_IN.allowed - {Role.ADMIN.value}),
}


@dataclass
class Probe:
    client: TestClient
    personas: dict[str, SignedIn | None]
    routes: set[str]


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Probe]:
    settings = Settings(event_store="popo", data_dir=tmp_path_factory.mktemp("var"))
    with TestClient(create_app(settings)) as client:
        container: Container = client.app.state.container  # type: ignore[attr-defined]
        email = f"root-{uuid4().hex[:8]}@example.org"
        container.dispatcher.dispatch(
            BootstrapAdmin(actor=Actor.system("matrix"), email=email)
        )
        root = sign_in(client, email)
        personas: dict[str, SignedIn | None] = {
            ANONYMOUS: None,
            NO_ROLE: sign_in(client),
        }
        last = None
        for role in Role:
            persona = root if role is Role.ADMIN else sign_in(client)
            if role is not Role.ADMIN:
                last = client.put(
                    f"/users/{persona.user_id}/roles/{role.value}", headers=root.headers
                )
                assert last.status_code == 200, last.text
            personas[role.value] = persona
        assert last is not None
        # Wait until the views know every role granted.
        client.get(
            "/users",
            headers=root.headers,
            params={"after": last.json()["consistency_token"]},
        )
        paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
        routes = {f"{m.upper()} {p}" for p, ops in paths.items() for m in ops}
        yield Probe(client, personas, routes)


def test_every_route_has_an_entry(probe: Probe) -> None:
    missing = sorted(probe.routes - set(MATRIX))
    assert not missing, f"add these routes to MATRIX: {missing}"


def test_no_caller_waits_for_a_consistency_token_before_being_let_in(
    probe: Probe, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every route taking ?after= (or Spotlight-After), every persona, a token far
    # beyond the head: the refused are refused before the engine is asked anything;
    # those let in are told at once that the position is beyond the head.
    container: Container = probe.client.app.state.container  # type: ignore[attr-defined]
    spy = spy_on_waits(container.engine, monkeypatch)
    paths = probe.client.app.openapi()["paths"]  # type: ignore[attr-defined]
    taking = sorted(
        f"{method.upper()} {path}"
        for path, operations in paths.items()
        for method, operation in operations.items()
        if any(p["name"] == "after" for p in operation.get("parameters", []))
    )
    assert {"GET /me", "GET /users", "GET /npos"} <= set(taking)
    wrong = []
    for route in taking:
        method, path = route.split(" ", 1)
        access = MATRIX[route]
        url = _url(path, access)
        for persona in PERSONAS:
            signed_in = probe.personas[persona]
            headers = signed_in.headers if signed_in else {}
            for sent in (
                {"params": {"after": far_beyond()}},
                {"headers": {"Spotlight-After": far_beyond()}},
            ):
                spy.forget()
                response = probe.client.request(
                    method,
                    url,
                    params=sent.get("params"),
                    headers={**headers, **sent.get("headers", {})},
                )
                if persona in access.allowed:
                    if response.status_code != 422 or spy.waits:
                        wrong.append(
                            f"{route} {persona}: {response.status_code}, {spy.waits}"
                        )
                else:
                    expected = 401 if signed_in is None else 403
                    if response.status_code != expected or spy.asked or spy.heads:
                        wrong.append(
                            f"{route} {persona}: {response.status_code} "
                            f"(expected {expected}), asked {spy.asked} {spy.heads}"
                        )
    assert not wrong, "; ".join(wrong)


def _url(path: str, access: Access) -> str:
    samples = dict(access.sample)

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in samples:
            return samples[name]
        if name == "role":
            return Role.CAREER_MENTOR.value
        return str(uuid4())

    return re.sub(r"\{([^}]+)\}", fill, path)


@pytest.mark.parametrize("route", list(MATRIX))
def test_route_lets_through_exactly_its_entry(probe: Probe, route: str) -> None:
    if route not in probe.routes:
        pytest.fail(f"{route} is in MATRIX but not served: remove its entry")
    method, path = route.split(" ", 1)
    access = MATRIX[route]
    url = _url(path, access)
    body: dict[str, str] | None = {} if method in {"POST", "PUT", "PATCH"} else None
    wrong = []
    for persona in PERSONAS:
        signed_in = probe.personas[persona]
        headers = signed_in.headers if signed_in else {}
        response = probe.client.request(method, url, headers=headers, json=body)
        if persona in access.allowed:
            if response.status_code in {401, 403}:
                wrong.append(f"{persona}: refused with {response.status_code}")
        else:
            expected = 401 if signed_in is None else 403
            if response.status_code != expected:
                wrong.append(f"{persona}: {response.status_code}, expected {expected}")
            elif response.headers["content-type"] != "application/problem+json":
                wrong.append(f"{persona}: refusal is not a problem document")
    assert not wrong, f"{route}: " + "; ".join(wrong)
