"""No personal data leaves in the analytics export, on the real services.

A full story over HTTP (admin, mentor, leader, an approved NPO with its contact,
a candidate with a profile, an assessment and a roadmap with notes), every person
with distinctive names, emails and phones; then the export, and a search of every
Parquet file's bytes, and of every string its columns hold once decoded, for each
of those values. User ids are not there either; their pseudonyms are; and once a
person is erased nobody can compute their pseudonym again.
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pyarrow.parquet as pq
import pytest

from adapters.analytics.export import export_events, pseudonym_for
from projections.analytics.fields import PERSON_AGGREGATE_IDS
from tests.support.candidate_story import RESUME_WRITING, Story
from tests.support.identity import SignedIn
from tests.support.mentoring import assessment_body
from tests.support.onboarding_http import RealServices, app_on_real_services
from tests.support.search_http import approved_npo

pytestmark = pytest.mark.real_services


@pytest.fixture
def story(real_services: RealServices) -> Iterator[Story]:
    with app_on_real_services(real_services, "export") as (client, container, run):
        yield Story.start(client, container, f"admin-{run}@example.org")


def word(length: int = 9) -> str:
    """A word found nowhere else (capitalised, letters only: any name accepts it)."""
    letters = random.choices(string.ascii_lowercase, k=length)
    return "".join(letters).capitalize()


def phone() -> str:
    return "+1415" + "".join(random.choices(string.digits, k=7))


def strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)


def exported(root: Path) -> tuple[bytes, list[str]]:
    """Every Parquet file's raw bytes (joined), and every string its columns hold."""
    files = sorted((root / "events").rglob("*.parquet"))
    assert files
    raw = b"".join(f.read_bytes() for f in files)
    values = [
        text
        for f in files
        for row in pq.read_table(f).to_pylist()
        for text in strings_in(row)
    ]
    return raw, values


def test_no_name_email_or_phone_leaves_and_user_ids_are_pseudonyms(
    story: Story, tmp_path: Path
) -> None:
    client, onboarding = story.client, story.onboarding
    secrets: list[str] = []

    def personal(who: SignedIn) -> None:
        first, last, number, street = word(), word(), phone(), word()
        answer = client.patch(
            "/me",
            json={
                "first_name": first,
                "last_name": last,
                "phone": number,
                "date_of_birth": "1987-06-05",
                "address": {
                    "line1": f"7 {street} Road",
                    "city": word(),
                    "country": "DE",
                },
            },
            headers=who.headers,
        )
        assert answer.status_code == 200, answer.text
        me = story.get("/me", who, answer.json().get("consistency_token"))
        secrets.extend([first, last, number, street, me["email"]])

    # People with distinctive names, phones and addresses.
    personal(story.admin)
    mentor = story.mentor(["resume_writing"])
    personal(mentor)
    leader = onboarding.leader()
    personal(leader)
    onboarding.community(story.admin, ["resume-writing"], leader)

    # An NPO with its contact mailbox and phone, a name and a description.
    npo_name, contact_email, contact_phone = (
        f"Quokka {word()} Relief",
        f"contact-{word().lower()}@quokka.example",
        phone(),
    )
    npo_text, npo_street = f"We help {word()} folks", f"{word()} Street"
    secrets += [npo_name, contact_email, contact_phone, npo_text, npo_street]
    approved_npo(
        onboarding,
        leader,
        [RESUME_WRITING],
        name=npo_name,
        description=npo_text,
        contact={"email": contact_email, "phone": contact_phone},
        location={"region": "Bavaria", "country": "de", "address": f"3 {npo_street}"},
    )

    # A candidate: profile, career profile, assessment with free text.
    candidate = onboarding.user("CANDIDATE")
    personal(candidate)
    headline, summary = f"Aspiring {word()} analyst", f"Ten years at {word()} Ltd"
    secrets += [headline, summary]
    story.ok(
        client.put(
            "/me/career-profile",
            json={"headline": headline, "summary": summary, "skills": [word()]},
            headers=candidate.headers,
        )
    )
    need_text, availability = f"help with {word()}", f"evenings {word()}"
    secrets += [need_text, availability]
    needs = assessment_body(["resume_writing"], availability=availability)
    needs["needs"]["resume_writing"]["text"] = need_text
    assessed = story.ok(
        client.post("/me/assessments", json=needs, headers=candidate.headers), 201
    )
    token = assessed["consistency_token"]
    mentees = story.get("/me/mentees", mentor, token)
    assert [m["candidate_id"] for m in mentees] == [candidate.user_id]

    # A roadmap with notes: a goal, a mentor's suggestion with a note, a goal the
    # mentor declines with a reason.
    roadmap = f"/candidates/{candidate.user_id}/roadmap"
    goal, module, note, reason = (
        f"Learn {word()} cooking",
        f"Read {word()}",
        f"Try {word()} first",
        f"Not now {word()}",
    )
    secrets += [goal, module, note, reason]
    asked = story.ok(
        client.post(
            "/me/roadmap/items",
            json={"goal": {"title": goal, "modules": [{"title": module}]}},
            headers=candidate.headers,
        ),
        201,
    )
    story.ok(
        client.post(
            f"{roadmap}/items/{asked['item_id']}/approval",
            json={},
            headers=mentor.headers,
        )
    )
    story.ok(
        client.post(
            f"{roadmap}/suggestions",
            json={"goal": {"title": f"Visit {word()}"}, "note": note},
            headers=mentor.headers,
        ),
        201,
    )
    second = story.ok(
        client.post(
            "/me/roadmap/items",
            json={"goal": {"title": f"Climb {word()}"}},
            headers=candidate.headers,
        ),
        201,
    )
    declined = client.post(
        f"{roadmap}/items/{second['item_id']}/decline",
        json={"reason": reason},
        headers=mentor.headers,
    )
    assert declined.status_code == 200, declined.text

    # Check the NPO's contact is in the event store in plain text (not personal
    # data of a person, so not sealed): the export must leave it out itself.
    with psycopg.connect(str(story.container.settings.postgres_url)) as db:
        found = db.execute(
            "SELECT count(*) FROM onboarding_events"
            " WHERE position(%s in convert_from(state, 'UTF8')) > 0",
            (contact_email,),
        ).fetchone()
    assert found is not None
    assert found[0] > 0

    # Export, then look for every value, in the bytes and in the decoded strings.
    root = tmp_path / "analytics"
    summary_of_run = export_events(story.container, root)
    assert summary_of_run.events > 0
    raw, values = exported(root)
    text = "\n".join(values).lower()
    for secret in secrets:
        assert secret.encode() not in raw, secret
        assert secret.lower() not in text, secret

    # Check user ids do not appear, nor ids computed from them (a mentor's record,
    # a roadmap, working hours), and their pseudonyms do.
    people = [story.admin, mentor, leader, candidate]
    for who in people:
        derived = [str(derive(who.user_id)) for derive in PERSON_AGGREGATE_IDS.values()]
        for user_id in (who.user_id, *derived):
            assert user_id.encode() not in raw
            assert user_id not in text
    pseudonyms = {
        who.user_id: pseudonym_for(story.container, who.user_id) for who in people
    }
    for user_id, pseudonym in pseudonyms.items():
        assert pseudonym is not None, user_id
        assert pseudonym.startswith("u_"), user_id
        assert pseudonym in values, user_id

    # Check erasing the candidate unlinks their pseudonym for good.
    erased = client.delete("/me", headers=candidate.headers)
    assert erased.status_code in {200, 202}, erased.text
    assert pseudonym_for(story.container, candidate.user_id) is None
    again = tmp_path / "again"
    export_events(story.container, again)
    _, values_again = exported(again)
    assert pseudonyms[candidate.user_id] not in values_again
    assert pseudonyms[mentor.user_id] in values_again  # the living keep theirs
