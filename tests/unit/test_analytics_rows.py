"""Stored events become export rows: the envelope, the exposed fields, pseudonyms."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest

from adapters.embedded.views import SqliteRelationalStore
from adapters.identity.data_keys import SqlPersonalDataVault
from commands.identity.application import IdentityApplication
from domain.base import acting_as
from domain.careers.mentor import Mentor
from domain.careers.roadmap import Roadmap
from domain.identity.email_claim import EmailClaim
from domain.identity.user import OPERATOR, User
from domain.identity.values import LinkedIdentity, Profile, Role
from domain.scheduling.availability import availability_id
from projections.analytics.pseudonyms import Pseudonyms, pseudonym_of
from projections.analytics.rows import RowBuilder, StoredRecord
from tests.support.identity import identity_application

NPO_REGISTERED = "domain.onboarding.npo:Npo.Registered"
ITEM_APPROVED = "domain.careers.roadmap:Roadmap.ItemApproved"
MEETING_BOOKED = "domain.scheduling.meeting:Meeting.Booked"


@pytest.fixture
def vault() -> SqlPersonalDataVault:
    return SqlPersonalDataVault(SqliteRelationalStore(None))


@pytest.fixture
def identity(vault: SqlPersonalDataVault) -> Iterator[IdentityApplication]:
    application = identity_application(vault=vault)
    yield application
    application.close()


def stamp(text: str = "2026-03-04T05:06:07.123456+00:00") -> dict[str, str]:
    return {"_type_": "datetime_iso", "_data_": text}


def record(
    position: int, topic: str, state: dict[str, Any], originator: UUID | None = None
) -> StoredRecord:
    return (position, originator or uuid4(), 1, topic, json.dumps(state).encode())


def stored_user_events(
    identity: IdentityApplication, user_id: UUID, admin_id: UUID
) -> list[StoredRecord]:
    with acting_as(user_id, "corr-1"):
        user = User.register(
            user_id,
            LinkedIdentity("https://accounts.google.com", "subject-77"),
            email="grace@example.org",
            email_verified=True,
            first_name="Grace",
            last_name="Hopper",
        )
        user.update_profile(
            Profile(first_name="Gracie", phone="+14155550123"), date(2026, 1, 1)
        )
    with acting_as(admin_id, "corr-2"):
        user.grant_role(Role.CAREER_MENTOR, OPERATOR)
    events = user.collect_events()
    return [
        (i + 1, s.originator_id, s.originator_version, s.topic, s.state)
        for i, s in enumerate(identity.mapper.to_stored_event(e) for e in events)
    ]


def test_user_events_keep_roles_and_flags_and_lose_names_emails_phones(
    identity: IdentityApplication, vault: SqlPersonalDataVault
) -> None:
    user_id, admin_id = uuid4(), uuid4()
    records = stored_user_events(identity, user_id, admin_id)
    key = vault.key_for_decryption(user_id)
    assert key is not None
    pseudonyms = Pseudonyms({str(user_id): key, str(admin_id): None})
    rows = RowBuilder("identity", pseudonyms).rows(records)

    families = {family for family, _ in rows}
    assert families == {"user"}
    registered, updated, granted = (row for _, row in rows)
    # Check the envelope.
    assert registered["application"] == "identity"
    assert registered["position"] == 1
    assert registered["aggregate_type"] == "User"
    assert registered["event_type"] == "User.Registered"
    assert registered["version"] == 1
    assert registered["correlation_id"] == "corr-1"
    assert registered["date"] == registered["timestamp"][:10]
    # Check the user id is the person's pseudonym, as aggregate and actor.
    mine = pseudonym_of(str(user_id), key)
    assert registered["aggregate_id"] == mine
    assert registered["actor"] == mine
    assert granted["actor"] == pseudonyms.substitutions[str(admin_id)]
    assert granted["actor"].startswith("u_")
    # Check what is exported, and that nothing personal is.
    assert registered["email_verified"] is True
    assert registered["issuer"] == "https://accounts.google.com"
    assert granted["role"] == "CAREER_MENTOR"
    text = json.dumps([row for _, row in rows])
    for secret in ("grace@", "Grace", "Hopper", "subject-77", "+1415", str(user_id)):
        assert secret not in text
    assert "phone" not in updated
    assert "first_name" not in updated


def test_an_npo_exports_its_region_not_its_name_or_contact() -> None:
    creator = str(uuid4())
    state = {
        "timestamp": stamp(),
        "actor_id": creator,
        "correlation_id": "c",
        "originator_topic": "domain.onboarding.npo:Npo",
        "creator_id": creator,
        "profile": {
            "name": "Quokka Relief",
            "description": "We help",
            "registration_id": "EIN-1",
            "website": "https://quokka.example",
            "location": {"region": "Bavaria", "country": "DE", "address": "1 Main"},
            "contact": {"email": "hi@quokka.example", "phone": "+14155550100"},
            "service_areas": ["resumes"],
        },
    }
    pseudonyms = Pseudonyms({creator: b"k" * 32})
    [(family, row)] = RowBuilder("onboarding", pseudonyms).rows(
        [record(7, NPO_REGISTERED, state)]
    )
    assert family == "npo"
    assert row["creator_id"] == pseudonyms.substitutions[creator]
    assert row["profile_location_region"] == "Bavaria"
    assert row["profile_location_country"] == "DE"
    assert row["profile_service_areas"] == ["resumes"]
    text = json.dumps(row)
    for secret in ("Quokka", "We help", "EIN-1", "quokka.example", "+1415", "1 Main"):
        assert secret not in text


def test_user_ids_are_replaced_in_lists_and_colliding_names_are_prefixed() -> None:
    candidate, mentor = str(uuid4()), str(uuid4())
    pseudonyms = Pseudonyms({candidate: b"a" * 32, mentor: b"b" * 32})
    builder = RowBuilder("careers", pseudonyms)
    approved = {
        "timestamp": stamp(),
        "actor_id": mentor,
        "correlation_id": candidate,  # a caller may choose anything
        "item_id": "item-1",
        "position": 3,
    }
    booked = {
        "timestamp": stamp(),
        "actor_id": "system",
        "correlation_id": "c",
        "starts_at": stamp("2026-03-04T10:00:00+02:00"),
        "ends_at": stamp("2026-03-04T10:30:00+02:00"),
        "time_zone": "Europe/Berlin",
        "kind": "intro",
        "attendee_ids": [candidate, mentor],
    }
    rows = builder.rows(
        [
            record(1, ITEM_APPROVED, approved, UUID(candidate)),
            record(2, MEETING_BOOKED, booked),
        ]
    )
    (_, item), (_, meeting) = rows
    assert item["field_position"] == 3
    assert item["correlation_id"] == pseudonyms.substitutions[candidate]
    assert item["position"] == 1
    assert item["aggregate_id"] == pseudonyms.substitutions[candidate]
    assert meeting["actor"] == "system"
    assert meeting["attendee_ids"] == [
        pseudonyms.substitutions[candidate],
        pseudonyms.substitutions[mentor],
    ]
    # Check a time with an offset is written in UTC.
    assert meeting["starts_at"] == "2026-03-04T08:00:00+00:00"
    assert builder.family_kinds("meeting")["starts_at"] == "timestamp"


def test_sealed_values_never_make_a_value_and_unknown_events_their_envelope() -> None:
    builder = RowBuilder("careers", Pseudonyms({}))
    sealed = {
        "timestamp": stamp(),
        "actor_id": "system",
        "correlation_id": "c",
        "item_id": {"_pii": "v1.c2VjcmV0"},
        "position": 1,
    }
    unknown = {"timestamp": stamp(), "whatever": "Grace Hopper"}
    rows = builder.rows(
        [
            record(1, ITEM_APPROVED, sealed),
            record(2, "gone.module:Thing.Happened", unknown),
        ]
    )
    (_, item), (family, other) = rows
    assert item["item_id"] is None
    assert family == "thing"
    assert other["event_type"] == "Thing.Happened"
    assert "Grace Hopper" not in json.dumps(other)


def test_claims_are_not_exported() -> None:
    with acting_as("system", "c"):
        claim = EmailClaim.create("grace@example.org", uuid4())
    [event] = claim.collect_events()
    topic = f"{type(event).__module__}:{type(event).__qualname__}"
    state = {"timestamp": stamp(), "actor_id": "system", "holder": str(uuid4())}
    assert RowBuilder("identity", Pseudonyms({})).rows([record(1, topic, state)]) == []


def test_pseudonyms_are_stable_per_key_and_unlinked_without_it() -> None:
    user = str(uuid4())
    key = b"k" * 32
    first, again = Pseudonyms({user: key}), Pseudonyms({user: key})
    assert first.of(user) == again.of(user) == pseudonym_of(user, key)
    assert len(first.of(user)) == 2 + 24
    assert pseudonym_of(user, b"j" * 32) != first.of(user)
    # Check a person without a key gets a pseudonym of the run only.
    erased_once, erased_twice = Pseudonyms({user: None}), Pseudonyms({user: None})
    assert erased_once.of(user) != erased_twice.of(user)
    assert erased_once.of(user) != first.of(user)


def test_ids_of_a_persons_own_aggregates_are_their_pseudonym() -> None:
    user = str(uuid4())
    pseudonyms = Pseudonyms({user: b"k" * 32})
    mine = pseudonyms.substitutions[user]
    for derived in (Mentor.id_for(user), Roadmap.id_for(user), availability_id(user)):
        assert pseudonyms.substitutions[str(derived)] == mine
    state = {"timestamp": stamp(), "actor_id": user, "correlation_id": "c"}
    topic = "domain.careers.roadmap:Roadmap.ItemStarted"
    [(family, row)] = RowBuilder("careers", pseudonyms).rows(
        [record(1, topic, {**state, "item_id": "i"}, Roadmap.id_for(user))]
    )
    assert (family, row["aggregate_id"]) == ("roadmap", mine)


def test_meeting_ids_are_keyed_and_stable_under_one_key() -> None:
    meeting = uuid4()
    state = {"timestamp": stamp(), "actor_id": "system", "correlation_id": "c"}
    topic = "domain.scheduling.meeting:Meeting.Cancelled"

    def exported_id(key: bytes) -> str:
        builder = RowBuilder("scheduling", Pseudonyms({}, id_key=key))
        [(_, row)] = builder.rows([record(1, topic, state, meeting)])
        return str(row["aggregate_id"])

    first = exported_id(b"a" * 32)
    assert first.startswith("k_")
    assert str(meeting) not in first
    assert exported_id(b"a" * 32) == first
    assert exported_id(b"b" * 32) != first
