"""Builders for the onboarding tests: actors, profiles, offerings, file bytes."""

from __future__ import annotations

import itertools
from typing import Any
from uuid import uuid4

from commands.onboarding.application import Actor

_counter = itertools.count(1)

PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20


def user(*roles: str, user_id: str | None = None) -> Actor:
    return Actor(user_id or str(uuid4()), frozenset(roles), f"corr-{next(_counter)}")


def npo_user(user_id: str | None = None) -> Actor:
    return user("NPO", user_id=user_id)


def admin() -> Actor:
    return user("ADMIN")


def leader_user(user_id: str | None = None) -> Actor:
    return user("COMMUNITY_LEADER", user_id=user_id)


def profile(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": f"Helping Hands {next(_counter)}",
        "description": "Career help for everyone.",
        "registration_id": "EIN-12-3456789",
        "website": "https://helping-hands.example",
        "location": {
            "address": "1 Main St",
            "region": "Bay Area",
            "country": "us",
            "latitude": 37.77,
            "longitude": -122.42,
        },
        "contact": {"email": "hello@helping-hands.example", "phone": "+14155550100"},
        "service_areas": ["Resume Writing", "interview prep"],
    }
    base.update(overrides)
    return base


def offering(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "title": "Resume clinic",
        "summary": "One-to-one resume reviews.",
        "categories": ["resume_writing"],
        "tags": ["Resumes", "career-change"],
        "description_html": "<p>Bring your <strong>CV</strong>.</p>"
        "<script>alert(1)</script><img src=x onerror=alert(1)>",
        "links": [{"title": "Register", "url": "https://helping-hands.example/r"}],
        "deadlines": [{"title": "Apply by", "due": "2027-01-31"}],
        "modules": [
            {"id": "m1", "kind": "assignment", "title": "Draft your resume"},
            {
                "id": "m2",
                "kind": "link",
                "title": "Watch",
                "url": "https://video.example/1",
            },
        ],
        "location": {"region": "Bay Area", "remote": True},
        "eligibility": "Anyone looking for work.",
        "attributes": {"language": "en", "seats": 12},
    }
    base.update(overrides)
    return base
