"""Every context checks the text it is given with the one definition
(``domain.text``), naming the field it refuses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from domain.base import InvalidFieldError, acting_as
from domain.identity.user import OPERATOR, User
from domain.identity.values import Address, LinkedIdentity, Profile
from domain.onboarding.values import CommunityProfile
from domain.scheduling.meeting import Meeting
from domain.scheduling.values import MeetingKind
from tests.support.careers_candidates import career_profile, needs_assessment
from tests.support.onboarding import npo_profile, offering_content

NUL, ESC, OVERRIDE = "\x00", "\x1b", "\u202e"
TODAY = date(2026, 1, 1)


def _refused(make: Callable[[], object]) -> str:
    with pytest.raises(InvalidFieldError) as refused:
        make()
    return refused.value.field


def _user(**names: str | None) -> User:
    with acting_as("system", "test"):
        return User.register(
            uuid4(),
            LinkedIdentity("https://issuer.example", uuid4().hex),
            email="ada@example.org",
            email_verified=True,
            first_name=names.get("first_name", "Ada"),
            last_name=names.get("last_name", "Lovelace"),
        )


def test_identity_profiles() -> None:
    def profile(**fields: object) -> Callable[[], Profile]:
        return lambda: Profile(**fields).checked(TODAY)  # type: ignore[arg-type]

    def address(**parts: str) -> Address:
        fields = {"line1": "1 Main St", "city": "Springfield", "country": "US"}
        return Address(**{**fields, **parts})

    assert _refused(profile(first_name=f"a{NUL}b")) == "first_name"
    assert _refused(profile(last_name=f"a{ESC}b")) == "last_name"
    assert _refused(profile(first_name="a\nb")) == "first_name"
    assert _refused(profile(address=address(line1=OVERRIDE))) == "address.line1"
    assert _refused(profile(address=address(city=""))) == "address.city"
    assert _refused(profile(address=address(country="USA"))) == "address.country"
    assert _refused(profile(phone="")) == "phone"
    kept = Profile(first_name="  Zoe\u0308 ", address=address(country="us"))
    checked = kept.checked(TODAY)
    assert checked.first_name == "Zoë"
    assert checked.address == address(country="US")


def test_identity_keeps_a_user_whose_provider_sends_bad_names() -> None:
    user = _user(first_name=f"a{NUL}b", last_name="x" * 101)
    assert (user.first_name, user.last_name) == (None, None)
    assert _user(first_name=" Ada ").first_name == "Ada"


def test_identity_the_first_admins_email_is_an_email() -> None:
    def first_admin(email: str) -> Callable[[], User]:
        return lambda: User.register_first_admin(uuid4(), email)

    with acting_as("system", "test"):
        assert _refused(first_admin(f"root{NUL}@example.org")) == "email"
        assert _refused(first_admin("root@example")) == "email"
        assert first_admin("Root@Example.org")().email == "root@example.org"


def test_identity_disabling_needs_a_reason_that_is_text() -> None:
    user = _user()
    assert _refused(lambda: user.disable(f"spam{NUL}", OPERATOR)) == "reason"
    assert _refused(lambda: user.disable(" ", OPERATOR)) == "reason"
    with acting_as("system", "test"):
        user.disable("spam\nand more", OPERATOR)
    assert user.disabled


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": f"a{NUL}b"}, "name"),
        ({"description": f"a{OVERRIDE}b"}, "description"),
        ({"registration_id": "a\tb"}, "registration_id"),
        ({"website": "https://npo.example\\@evil.example"}, "website"),
        ({"location": {"region": "", "country": "us"}}, "location.region"),
        ({"contact": {"email": f"a{NUL}@npo.example"}}, "contact.email"),
        ({"service_areas": ["ok", "R\u00e9sum\u00e9"]}, "service_areas[1]"),
    ],
)
def test_onboarding_npo_profiles(changes: dict[str, object], field: str) -> None:
    assert _refused(lambda: npo_profile(**changes)) == field


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": f"a{ESC}b"}, "title"),
        ({"summary": "a\nb"}, "summary"),
        ({"description_html": f"<p>a{NUL}b</p>"}, "description_html"),
        ({"eligibility": f"a{OVERRIDE}"}, "eligibility"),
        (
            {"links": [{"title": "x", "url": "https://a.example/\u2066"}]},
            "links[0].url",
        ),
        (
            {"deadlines": [{"title": "x", "due": "2027-01-31T10:00"}]},
            "deadlines[0].due",
        ),
        ({"modules": [{"kind": "reading", "title": "\x07"}]}, "modules[0].title"),
        (
            {"modules": [{"kind": "reading", "title": "x", "resource_id": "../x"}]},
            "modules[0].resource_id",
        ),
        ({"location": {"address": f"a{NUL}"}}, "location.address"),
        ({"attributes": {"language": f"e{NUL}n"}}, "attributes.language"),
        ({"attributes": {"languages": ["en", f"d{NUL}e"]}}, "attributes.languages[1]"),
        ({"attributes": {"languages": ["en"] * 51}}, "attributes.languages"),
        ({"attributes": {"seats": float("nan")}}, "attributes.seats"),
        ({"attributes": {"seats": 2**53 + 1}}, "attributes.seats"),
        ({"attributes": {"$where": 1}}, "attributes"),
        ({"attributes": {"a\n": 1}}, "attributes"),
    ],
)
def test_onboarding_offerings(changes: dict[str, object], field: str) -> None:
    assert _refused(lambda: offering_content(**changes)) == field


def test_onboarding_communities() -> None:
    assert _refused(lambda: CommunityProfile.of(f"a{NUL}", None, [])) == "name"
    assert _refused(lambda: CommunityProfile.of("a", OVERRIDE, [])) == "description"
    assert _refused(lambda: CommunityProfile.of("a", None, ["\u00e9"])) == "tags[0]"


def test_scheduling_meetings() -> None:
    def request(**changes: object) -> Callable[[], Meeting]:
        fields: dict[str, object] = {
            "request_key": uuid4().hex,
            "kind": MeetingKind.INTRO,
            "title": "Introduction",
            "parties": [["a"], ["b"]],
            "organiser_id": "b",
            "availability": {},
            "trigger": datetime(2031, 3, 3, tzinfo=UTC),
            "duration": timedelta(minutes=30),
            "context": {"npo_id": "npo-1"},
        }
        fields.update(changes)
        return lambda: Meeting.request(**fields)  # type: ignore[arg-type]

    assert _refused(request(title=f"Intro{NUL}")) == "title"
    assert _refused(request(context={"npo_id": f"n{ESC}"})) == "context.npo_id"
    with acting_as("system", "test"):
        meeting = request()()
        assert _refused(lambda: meeting.cancel(OVERRIDE)) == "reason"
        meeting.cancel("The NPO was deleted.")


def test_careers_profiles_and_assessments() -> None:
    assert _refused(lambda: career_profile(headline=f"a{NUL}")) == "headline"
    assert _refused(lambda: career_profile(headline="a\nb")) == "headline"
    assert _refused(lambda: career_profile(summary=OVERRIDE)) == "summary"
    assert _refused(lambda: career_profile(skills=[f"s{ESC}"])) == "skills[0]"
    assert _refused(lambda: career_profile(achievements=["a\nb"])) == "achievements[0]"
    needs = {"child_care": {"level": "some", "text": f"t{OVERRIDE}"}}
    assert _refused(lambda: needs_assessment(needs=needs)) == "needs.child_care.text"
    assert _refused(lambda: needs_assessment(region=f"r{NUL}")) == "region"
    assert _refused(lambda: needs_assessment(availability="a\nb")) == "availability"
    kept = career_profile(summary="  Line one\nLine two  ", headline="Zoe\u0308")
    assert (kept.headline, kept.summary) == ("Zoë", "Line one\nLine two")
