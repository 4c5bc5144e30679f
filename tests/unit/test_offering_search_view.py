"""The offering search view from onboarding's events (embedded: SQLite FTS5): what
each event does to what candidates find, and offerings' country."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest

from adapters.embedded.blobs import LocalDiskBlobStore
from adapters.embedded.bus import InMemoryMessageBus
from adapters.embedded.cache import InMemoryCache
from adapters.embedded.documents import InMemoryDocumentStore
from adapters.embedded.views import SqliteRelationalStore
from commands.base import Actor
from commands.onboarding.application import OnboardingApplication
from commands.onboarding.messages import (
    AddLeader,
    ApproveNpo,
    CreateCommunity,
    CreateNpo,
    CreateOffering,
    DeleteNpo,
    DeleteOffering,
    RecordOffering,
    RecordVerification,
    TakeDownOffering,
    UpdateNpo,
    UpdateOffering,
)
from domain.base import InvalidFieldError
from domain.onboarding.npo import VerificationStatus
from domain.onboarding.offering_content import OfferingContent, OfferingLocation
from ports.offering_search import OfferingQuery
from projections.contracts import ViewPorts
from projections.engine import ProjectionEngine
from projections.onboarding.offering_search import (
    SEARCH_PROJECTION,
    OfferingSearchView,
)
from projections.onboarding.offering_search_reader import offering_search_for
from tests.support.onboarding import (
    Onboarding,
    admin,
    leader_user,
    npo_profile,
    npo_user,
    offering_content,
)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Onboarding, ProjectionEngine]]:
    store = SqliteRelationalStore(None)
    app = OnboardingApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    blobs = LocalDiskBlobStore(tmp_path, "http://testserver", "secret")
    engine = ProjectionEngine(
        store,
        {"onboarding": app},
        [OfferingSearchView],
        ViewPorts(InMemoryDocumentStore(), InMemoryCache(), InMemoryMessageBus()),
    )
    yield Onboarding(app, blobs), engine
    store.close()


def found(engine: ProjectionEngine, text: str | None = None) -> list[str]:
    engine.catch_up()
    search = offering_search_for(engine.store)
    return [h.offering.offering_id for h in search.search(OfferingQuery(text)).hits]


def test_candidates_find_what_onboarding_made_visible(
    world: tuple[Onboarding, ProjectionEngine],
) -> None:
    onboarding, engine = world
    boss, owner = admin(), npo_user()
    leader = leader_user(onboarding.leader("lee"))
    community = onboarding.send(
        CreateCommunity(actor=boss, name="Careers", tags=("resume-writing",))
    ).ids[0]
    onboarding.send(
        AddLeader(actor=boss, community_id=UUID(community), user_id=leader.user_id)
    )
    profile = npo_profile(name="Bridgeway Careers")
    npo_id = onboarding.send(CreateNpo(actor=owner, profile=profile)).ids[0]
    content = offering_content(
        title="Resume writing",
        location={"region": "Lagos", "country": "ng", "remote": True},
    )
    first = onboarding.send(
        CreateOffering(actor=owner, npo_id=UUID(npo_id), content=content)
    ).ids[0]
    onboarding.send(
        RecordOffering(
            actor=Actor.system("t"), npo_id=UUID(npo_id), offering_id=UUID(first)
        )
    )
    # Check nothing of an NPO not yet approved is found, even once verified.
    assert found(engine, "resme") == []
    onboarding.send(
        RecordVerification(
            actor=leader, npo_id=UUID(npo_id), status=VerificationStatus.VERIFIED
        )
    )
    assert found(engine) == []

    # Check approval shows its offerings, with the NPO's name and communities.
    onboarding.send(ApproveNpo(actor=boss, npo_id=UUID(npo_id)))
    assert found(engine, "resme writting") == [first]
    hit = offering_search_for(engine.store).get([first])[first]
    assert (hit.npo_name, hit.country, hit.region) == (
        "Bridgeway Careers",
        "NG",
        "Lagos",
    )
    assert hit.community_ids == (community,)

    # Check edits and renames are searched as they are now.
    onboarding.send(
        UpdateOffering(
            actor=owner,
            offering_id=UUID(first),
            content=offering_content(
                title="Interview practice", summary="Mock interviews"
            ),
        )
    )
    assert found(engine, "resume") == []
    assert found(engine, "interviw") == [first]
    onboarding.send(
        UpdateNpo(
            actor=owner, npo_id=UUID(npo_id), profile=npo_profile(name="Northstar")
        )
    )
    assert found(engine, "northstar") == [first]

    # Check a deleted or taken-down offering leaves at once.
    second, third = (
        onboarding.send(
            CreateOffering(actor=owner, npo_id=UUID(npo_id), content=content)
        ).ids[0]
        for _ in range(2)
    )
    assert found(engine, "resume") == [third, second]
    onboarding.send(DeleteOffering(actor=owner, offering_id=UUID(second)))
    onboarding.send(
        TakeDownOffering(actor=boss, offering_id=UUID(third), reason="Out of date")
    )
    assert found(engine, "resume") == []

    # Check a deleted NPO takes every offering of it away.
    assert found(engine) == [first]
    onboarding.send(DeleteNpo(actor=boss, npo_id=UUID(npo_id), reason="Fraud"))
    assert found(engine) == []
    assert offering_search_for(engine.store).matching(["resume_writing"], [], 10) == []

    # Check a rebuild from the log makes the same view.
    engine.rebuild(SEARCH_PROJECTION)
    assert found(engine) == []
    assert found(engine, "interview") == []


def test_an_offering_may_name_its_country() -> None:
    content = OfferingContent.of(
        title="Resume writing",
        categories=["resume_writing"],
        location=OfferingLocation(country="ng"),
    )
    assert content.location.country == "NG"
    assert content.to_state()["location"]["country"] == "NG"
    assert OfferingContent.from_state(content.to_state()) == content
    with pytest.raises(InvalidFieldError) as refused:
        OfferingContent.of(
            title="x",
            categories=["resume_writing"],
            location=OfferingLocation(country="Nigeria"),
        )
    assert refused.value.field == "location.country"


def test_content_recorded_before_countries_reads_as_none() -> None:
    old = {
        "title": "Resume writing",
        "categories": ["resume_writing"],
        "location": {"region": "Lagos", "address": None, "remote": True},
    }
    content = OfferingContent.from_state(old)
    assert content.location.country is None
    # Check content without a country is recorded as it was before.
    assert "country" not in content.to_state()["location"]
