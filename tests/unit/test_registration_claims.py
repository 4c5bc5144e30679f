"""A registration id identifies one live NPO: a ``RegistrationClaim`` taken in the
same save as the NPO, moved when the id changes, released when the NPO is deleted.

Commands go through the dispatcher on the in-memory event store; the claim's
normalisation and the legacy NPOs (recorded before claims existed) are checked too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.application import AggregateNotFoundError

from commands.base import Actor
from commands.onboarding.application import OnboardingApplication
from commands.onboarding.messages import (
    AddMember,
    ClaimRegistrationIds,
    CreateNpo,
    DeleteNpo,
    UpdateNpo,
)
from domain.base import InvalidFieldError, NotAllowedError, acting_as
from domain.onboarding.errors import RegistrationIdTakenError
from domain.onboarding.npo import Npo
from domain.onboarding.registration_claim import (
    RegistrationClaim,
    normalise_registration_id,
)
from tests.support.onboarding import Onboarding, admin, npo_profile, npo_user


@pytest.fixture
def onboarding() -> Iterator[Onboarding]:
    app = OnboardingApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    try:
        yield Onboarding(app)
    finally:
        app.close()


def create(onboarding: Onboarding, owner: Actor, **profile: Any) -> str:
    result = onboarding.send(CreateNpo(actor=owner, profile=npo_profile(**profile)))
    npo_id: str = result.ids[0]
    return npo_id


def npo(onboarding: Onboarding, npo_id: str) -> Npo:
    found: object = onboarding.app.repository.get(UUID(npo_id))
    assert isinstance(found, Npo)
    return found


def holder(onboarding: Onboarding, registration_id: str) -> str | None:
    """The NPO holding the id's claim (None: nobody, or never claimed)."""
    claim_id = RegistrationClaim.id_for(registration_id)
    try:
        claim: object = onboarding.app.repository.get(claim_id)
    except AggregateNotFoundError:  # never claimed
        return None
    assert isinstance(claim, RegistrationClaim)
    return None if claim.holder is None else str(claim.holder)


def registered_npos(onboarding: Onboarding) -> list[str]:
    notifications = onboarding.app.recorder.select_notifications(start=1, limit=1000)
    return [
        str(n.originator_id)
        for n in notifications
        if n.topic.endswith(":Npo.Registered")
    ]


# --- The normal form -----------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        "EIN-12-3456789",
        "ein-12-3456789",
        "  EIN 12 3456789 ",
        "EIN123456789",
        "EIN\u201312\u20113456789",  # en dash, non-breaking hyphen
        "EIN-12-345\u200b6789",  # a zero-width space
        "\uff25\uff29\uff2e-12-3456789",  # full-width letters
    ],
)
def test_spellings_of_one_registration_id_are_one_registration(spelling: str) -> None:
    assert normalise_registration_id(spelling) == "ein123456789"
    assert RegistrationClaim.id_for(spelling) == RegistrationClaim.id_for(
        "EIN-12-3456789"
    )


@pytest.mark.parametrize(
    "other", ["EIN-12-3456788", "EIN-12-3456789/1", "EIN.12.3456789", "EIN-12-34567"]
)
def test_other_characters_make_another_registration(other: str) -> None:
    assert RegistrationClaim.id_for(other) != RegistrationClaim.id_for("EIN-12-3456789")


@pytest.mark.parametrize("blank", ["---", " - ", "\u200b", "-\u2013-"])
def test_an_id_without_letters_or_digits_is_refused_naming_the_field(
    blank: str,
) -> None:
    with pytest.raises(InvalidFieldError) as refused:
        normalise_registration_id(blank)
    assert refused.value.field == "registration_id"


def test_creating_with_an_id_without_letters_or_digits_is_refused(
    onboarding: Onboarding,
) -> None:
    with pytest.raises(InvalidFieldError) as refused:
        create(onboarding, npo_user(), registration_id="- -")
    assert refused.value.field == "registration_id"
    assert registered_npos(onboarding) == []


# --- Creation ----------------------------------------------------------------------


def test_the_same_name_and_registration_id_twice_make_one_npo(
    onboarding: Onboarding,
) -> None:
    owner = npo_user()
    first = create(onboarding, owner, name="Helping Hands", registration_id="EIN-1")

    # Check the same request again is refused, naming the owner's NPO to them.
    with pytest.raises(RegistrationIdTakenError) as refused:
        create(onboarding, owner, name="Helping Hands", registration_id="EIN-1")
    assert refused.value.npo_id == first

    # Check only the first NPO was recorded, and it holds the claim.
    assert registered_npos(onboarding) == [first]
    assert holder(onboarding, "EIN-1") == first


def test_another_spelling_of_a_taken_id_is_refused(onboarding: Onboarding) -> None:
    first = create(onboarding, npo_user(), registration_id="EIN-12-3456789")
    with pytest.raises(RegistrationIdTakenError):
        create(onboarding, npo_user(), registration_id=" ein 123456789")
    assert registered_npos(onboarding) == [first]


def test_the_refusal_names_the_npo_to_its_members_only(
    onboarding: Onboarding,
) -> None:
    owner, colleague, stranger = npo_user(), npo_user(), npo_user()
    onboarding.npo_member(colleague)
    npo_id = create(onboarding, owner, registration_id="CH-1234")
    onboarding.send(
        AddMember(actor=owner, npo_id=UUID(npo_id), user_id=colleague.user_id)
    )

    # Check a member (not the creator) is told which NPO holds it.
    with pytest.raises(RegistrationIdTakenError) as to_member:
        create(onboarding, colleague, registration_id="ch 1234")
    assert to_member.value.npo_id == npo_id
    assert to_member.value.extensions()["npo_id"] == npo_id

    # Check anyone else learns only that it is registered.
    with pytest.raises(RegistrationIdTakenError) as to_stranger:
        create(onboarding, stranger, registration_id="CH-1234")
    assert to_stranger.value.npo_id is None
    assert "npo_id" not in to_stranger.value.extensions()
    assert npo_id not in str(to_stranger.value)
    assert to_stranger.value.extensions()["errors"] == [
        {"field": "registration_id", "reason": "is already registered"}
    ]


def test_a_user_without_the_npo_role_is_refused_before_the_claim(
    onboarding: Onboarding,
) -> None:
    create(onboarding, npo_user(), registration_id="EIN-7")
    with pytest.raises(NotAllowedError):
        create(onboarding, admin(), registration_id="EIN-7")


# --- Deletion ------------------------------------------------------------------------


def test_deleting_an_npo_releases_its_registration_id(onboarding: Onboarding) -> None:
    first = create(onboarding, npo_user(), registration_id="EIN-9")
    onboarding.send(DeleteNpo(actor=admin(), npo_id=UUID(first), reason="Fake."))
    assert holder(onboarding, "EIN-9") is None

    # Check the id can be registered again, by the next NPO.
    second = create(onboarding, npo_user(), registration_id="ein9")
    assert holder(onboarding, "EIN-9") == second
    with pytest.raises(RegistrationIdTakenError):
        create(onboarding, npo_user(), registration_id="EIN-9")


# --- Changing the registration id ----------------------------------------------------


def test_changing_the_registration_id_moves_the_claim(onboarding: Onboarding) -> None:
    owner = npo_user()
    npo_id = create(onboarding, owner, name="Open Doors", registration_id="OLD-1")
    onboarding.send(
        UpdateNpo(
            actor=owner,
            npo_id=UUID(npo_id),
            profile=npo_profile(name="Open Doors", registration_id="NEW-1"),
        )
    )

    # Check the new id is the NPO's and the old one is free again.
    assert (holder(onboarding, "NEW-1"), holder(onboarding, "OLD-1")) == (npo_id, None)
    with pytest.raises(RegistrationIdTakenError):
        create(onboarding, npo_user(), registration_id="new 1")
    other = create(onboarding, npo_user(), registration_id="OLD-1")
    assert holder(onboarding, "OLD-1") == other


def test_changing_to_a_taken_id_is_refused_and_changes_nothing(
    onboarding: Onboarding,
) -> None:
    owner, other_owner = npo_user(), npo_user()
    npo_id = create(onboarding, owner, registration_id="MINE-1")
    create(onboarding, other_owner, registration_id="THEIRS-1")
    before = npo(onboarding, npo_id).version

    with pytest.raises(RegistrationIdTakenError) as refused:
        onboarding.send(
            UpdateNpo(
                actor=owner,
                npo_id=UUID(npo_id),
                profile=npo_profile(registration_id="theirs-1"),
            )
        )
    # Check the other NPO is not named to a non-member, and nothing was saved.
    assert refused.value.npo_id is None
    assert npo(onboarding, npo_id).version == before
    assert npo(onboarding, npo_id).profile.registration_id == "MINE-1"
    assert holder(onboarding, "MINE-1") == npo_id


def test_respelling_the_id_keeps_the_claim(onboarding: Onboarding) -> None:
    owner = npo_user()
    npo_id = create(onboarding, owner, registration_id="ein 555")
    claim_id = RegistrationClaim.id_for("EIN-555")
    claim_version: int = onboarding.app.repository.get(claim_id).version
    onboarding.send(
        UpdateNpo(
            actor=owner,
            npo_id=UUID(npo_id),
            profile=npo_profile(registration_id="EIN-555"),
        )
    )
    # Check the profile shows the new spelling and the claim did not change.
    assert npo(onboarding, npo_id).profile.registration_id == "EIN-555"
    assert onboarding.app.repository.get(claim_id).version == claim_version
    assert holder(onboarding, "EIN-555") == npo_id


# --- NPOs recorded before claims existed ---------------------------------------------


def legacy_npo(onboarding: Onboarding, owner: Actor, registration_id: str) -> str:
    """An NPO saved as the code before claims saved it: without a claim."""
    with acting_as(owner.user_id, "legacy"):
        made = Npo.register(
            owner.user_id, owner.roles, npo_profile(registration_id=registration_id)
        )
    onboarding.app.save(made)
    return str(made.id)


def test_duplicates_recorded_before_claims_keep_working(
    onboarding: Onboarding,
) -> None:
    first_owner, second_owner = npo_user(), npo_user()
    first = legacy_npo(onboarding, first_owner, "DUP-1")
    second = legacy_npo(onboarding, second_owner, "dup 1")
    assert holder(onboarding, "DUP-1") is None

    # Check the first one changed claims its id; the second, changed next, keeps
    # its id unclaimed, and both changes are saved.
    for owner, npo_id, text in (
        (first_owner, first, "First."),
        (second_owner, second, "Second."),
    ):
        onboarding.send(
            UpdateNpo(
                actor=owner,
                npo_id=UUID(npo_id),
                profile=npo_profile(
                    registration_id=npo(onboarding, npo_id).profile.registration_id,
                    description=text,
                ),
            )
        )
        assert npo(onboarding, npo_id).profile.description == text
    assert holder(onboarding, "DUP-1") == first

    # Check a new NPO cannot register it; deleting the holder lets the remaining
    # duplicate claim it at its next change.
    with pytest.raises(RegistrationIdTakenError):
        create(onboarding, npo_user(), registration_id="DUP-1")
    onboarding.send(DeleteNpo(actor=admin(), npo_id=UUID(first), reason="Twice."))
    onboarding.send(
        UpdateNpo(
            actor=second_owner,
            npo_id=UUID(second),
            profile=npo_profile(registration_id="dup 1"),
        )
    )
    assert holder(onboarding, "DUP-1") == second


def test_a_legacy_id_without_letters_or_digits_still_updates(
    onboarding: Onboarding,
) -> None:
    owner = npo_user()
    npo_id = legacy_npo(onboarding, owner, "---")
    onboarding.send(
        UpdateNpo(
            actor=owner,
            npo_id=UUID(npo_id),
            profile=npo_profile(registration_id="---", description="Still here."),
        )
    )
    assert npo(onboarding, npo_id).profile.description == "Still here."
    # Check it is deleted without trouble (there is no claim to release).
    onboarding.send(DeleteNpo(actor=admin(), npo_id=UUID(npo_id), reason="Gone."))
    assert npo(onboarding, npo_id).deleted


def test_a_claim_held_by_a_deleted_npo_is_taken_over(onboarding: Onboarding) -> None:
    owner = npo_user()
    stale = legacy_npo(onboarding, owner, "STALE-1")
    with acting_as(owner.user_id, "legacy"):
        claim = RegistrationClaim.create("STALE-1", UUID(stale))
        deleted = npo(onboarding, stale)
        deleted.delete({"ADMIN"}, "Deleted without letting go.")
    onboarding.app.save(claim, deleted)

    fresh = create(onboarding, npo_user(), registration_id="stale-1")
    assert holder(onboarding, "STALE-1") == fresh


def test_the_operator_claims_the_ids_of_npos_recorded_before_claims(
    onboarding: Onboarding,
) -> None:
    owners = [npo_user() for _ in range(5)]
    older = legacy_npo(onboarding, owners[0], "OLD-X")
    duplicate = legacy_npo(onboarding, owners[1], "old x")
    single = legacy_npo(onboarding, owners[2], "OLD-Y")
    blank = legacy_npo(onboarding, owners[3], "--")
    deleted = legacy_npo(onboarding, owners[4], "OLD-Z")
    onboarding.send(DeleteNpo(actor=admin(), npo_id=UUID(deleted), reason="Gone."))
    recent = create(onboarding, npo_user(), registration_id="NEW-W")

    outcome = onboarding.send(ClaimRegistrationIds(actor=Actor.system()))

    # Check the older of two duplicates and the single one claimed theirs, the
    # recent one held its own, the deleted one claimed nothing.
    assert (outcome.claimed, outcome.held) == (2, 1)
    assert (outcome.duplicates, outcome.unclaimable) == ((duplicate,), (blank,))
    assert holder(onboarding, "OLD-X") == older
    assert holder(onboarding, "OLD-Y") == single
    assert holder(onboarding, "OLD-Z") is None
    assert holder(onboarding, "NEW-W") == recent
    with pytest.raises(RegistrationIdTakenError):
        create(onboarding, npo_user(), registration_id="OLD-Y")

    # Check running it again changes nothing.
    head = onboarding.app.recorder.max_notification_id()
    again = onboarding.send(ClaimRegistrationIds(actor=Actor.system()))
    assert (again.claimed, again.held) == (0, 3)
    assert (again.duplicates, again.unclaimable) == ((duplicate,), (blank,))
    assert onboarding.app.recorder.max_notification_id() == head


def test_only_the_operator_claims_the_ids_of_existing_npos(
    onboarding: Onboarding,
) -> None:
    legacy_npo(onboarding, npo_user(), "OLD-V")
    with pytest.raises(NotAllowedError):
        onboarding.send(ClaimRegistrationIds(actor=admin()))
    assert holder(onboarding, "OLD-V") is None
