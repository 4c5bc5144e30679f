"""Onboarding handlers and views on the embedded stores (in-memory events, SQLite
views, in-memory documents, local-disk blobs): messages sent through the dispatcher,
as every entry point sends them."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError

from adapters.embedded.blobs import LocalDiskBlobStore
from adapters.embedded.bus import InMemoryMessageBus
from adapters.embedded.cache import InMemoryCache
from adapters.embedded.documents import InMemoryDocumentStore
from adapters.embedded.views import SqliteRelationalStore
from commands.base import Actor
from commands.onboarding.application import OnboardingApplication
from commands.onboarding.messages import (
    AddLeader,
    AddMember,
    ApproveNpo,
    AttachUpload,
    CreateCommunity,
    CreateNpo,
    CreateOffering,
    DeleteNpo,
    DeleteOffering,
    PlaceNpo,
    RecordOffering,
    RecordVerification,
    RemoveLeader,
    RemoveMember,
    SetPolicy,
    StartUpload,
    UpdateOffering,
)
from domain.base import (
    ConflictError,
    GoneError,
    InvalidFieldError,
    NotAllowedError,
    NotFoundError,
)
from domain.onboarding.errors import UnreadableResourceError, VersionConflictError
from domain.onboarding.npo import Npo, VerificationStatus
from domain.onboarding.offering import Offering
from domain.onboarding.resource import upload_key
from projections.contracts import ViewPorts
from projections.engine import ProjectionEngine
from projections.onboarding.offerings import OfferingDocuments
from projections.onboarding.relational import NposView
from queries.onboarding.communities import (
    get_community,
    list_communities,
    list_leaders,
)
from queries.onboarding.npos import get_npo, npo_of_offering
from queries.onboarding.offerings import (
    DownloadLink,
    get_offering,
    resource_download,
)
from queries.onboarding.reports import npo_report, npos_of_leader
from queries.onboarding.viewer import Viewer
from tests.support.concurrency import as_separate_processes
from tests.support.onboarding import (
    PDF_BYTES,
    PNG_BYTES,
    Onboarding,
    admin,
    leader_user,
    npo_profile,
    npo_user,
    offering_content,
)


class World:
    def __init__(self, tmp: Path) -> None:
        self.app = OnboardingApplication(
            env={"PERSISTENCE_MODULE": "eventsourcing.popo"}
        )
        self.views = SqliteRelationalStore(None)
        self.documents = InMemoryDocumentStore()
        self.blobs = LocalDiskBlobStore(tmp, "http://testserver", "secret")
        self.onboarding = Onboarding(self.app, self.blobs)
        self.send = self.onboarding.send
        self.engine = ProjectionEngine(
            self.views,
            {"onboarding": self.app},
            [NposView, OfferingDocuments],
            ViewPorts(self.documents, InMemoryCache(), InMemoryMessageBus()),
        )
        self.admin = admin()

    def catch_up(self) -> None:
        self.engine.catch_up()

    def npo(self, owner: Actor, **changes: Any) -> str:
        self.onboarding.npo_member(owner)
        created = self.send(CreateNpo(actor=owner, profile=npo_profile(**changes)))
        return created.ids[0]

    def offering(self, owner: Actor, npo_id: str, **changes: Any) -> str:
        content = offering_content(**changes)
        created = self.send(
            CreateOffering(actor=owner, npo_id=UUID(npo_id), content=content)
        )
        return created.ids[0]

    def record(self, npo_id: str, offering_id: str, correlation_id: str) -> Any:
        """What the offering flow's consumer sends when the message arrives."""
        return self.send(
            RecordOffering(
                actor=Actor.system(correlation_id),
                npo_id=UUID(npo_id),
                offering_id=UUID(offering_id),
            )
        )

    def publish(self, owner: Actor, npo_id: str, **changes: Any) -> str:
        offering_id = self.offering(owner, npo_id, **changes)
        self.record(npo_id, offering_id, "corr")
        return offering_id

    def community(self, tags: list[str], leaders: int, prefix: str = "l") -> str:
        community_id = self.send(
            CreateCommunity(actor=self.admin, name=f"C {tags}", tags=tuple(tags))
        ).ids[0]
        for n in range(leaders):
            self.add_leader(community_id, f"{prefix}{n}")
        return community_id

    def add_leader(self, community_id: str, user_id: str) -> None:
        self.onboarding.leader(user_id)
        self.send(
            AddLeader(
                actor=self.admin, community_id=UUID(community_id), user_id=user_id
            )
        )

    def get(self, npo_id: str) -> Npo:
        found: object = self.app.repository.get(UUID(npo_id))
        assert isinstance(found, Npo)
        return found


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = World(tmp_path)
    yield made
    made.engine.stop()
    made.views.close()
    made.app.close()


def test_the_npo_story_from_profile_to_approval(world: World) -> None:
    owner, colleague = npo_user(), npo_user()
    careers = world.community(["resume-writing"], leaders=2)
    npo_id = world.npo(owner)
    world.onboarding.npo_member(colleague)
    world.send(AddMember(actor=owner, npo_id=UUID(npo_id), user_id=colleague.user_id))
    world.catch_up()
    record = get_npo(world.views, npo_id)
    assert record is not None
    assert (record.registration_status, record.leader_id) == ("PENDING", None)
    assert record.members == (owner.user_id, colleague.user_id)

    # A colleague publishes the first offering: the flow completes the NPO.
    offering_id = world.publish(colleague, npo_id)
    world.catch_up()
    record = get_npo(world.views, npo_id)
    assert record is not None
    assert record.registration_status == "COMPLETE"
    assert record.leader_id == "l0"
    assert record.community_ids == (careers,)
    assert record.offering_ids == (offering_id,)
    assert npo_of_offering(world.views, offering_id) == npo_id

    # Check candidates cannot see it yet; the NPO's members can.
    candidate = Viewer("cand", frozenset({"CANDIDATE"}))
    member = Viewer(owner.user_id, frozenset({"NPO"}))
    with pytest.raises(NotFoundError):
        get_offering(world.views, world.documents, candidate, offering_id)
    seen = get_offering(world.views, world.documents, member, offering_id)
    assert seen.content.description_html == "<p>Bring your <strong>CV</strong>.</p>"

    # The leader verifies, an admin approves: now candidates see it.
    world.send(
        RecordVerification(
            actor=leader_user("l0"),
            npo_id=UUID(npo_id),
            status=VerificationStatus.VERIFIED,
        )
    )
    world.send(ApproveNpo(actor=world.admin, npo_id=UUID(npo_id)))
    world.catch_up()
    assert get_offering(world.views, world.documents, candidate, offering_id)
    report = npos_of_leader(world.views, "l0", None, None)
    assert [(n.id, n.verification_status, n.approved) for n in report.items] == [
        (npo_id, "VERIFIED", True)
    ]
    members_report = npo_report(world.views, world.documents, member, npo_id)
    assert members_report.offering_counts == {"ACTIVE": 1}
    with pytest.raises(NotFoundError):
        npo_report(world.views, world.documents, candidate, npo_id)


def test_only_npo_role_members_publish_and_edit(world: World) -> None:
    owner = npo_user()
    npo_id = world.npo(owner)
    outsider = npo_user()
    with pytest.raises(NotAllowedError):
        world.offering(outsider, npo_id)
    # A member who lost the NPO role (roles come from the token) cannot publish.
    world.onboarding.npo_member(outsider)
    world.send(AddMember(actor=owner, npo_id=UUID(npo_id), user_id=outsider.user_id))
    demoted = Actor(
        user_id=outsider.user_id, roles=frozenset({"CANDIDATE"}), correlation_id="c"
    )
    with pytest.raises(NotAllowedError):
        world.offering(demoted, npo_id)
    offering_id = world.offering(outsider, npo_id)

    def update(by: Actor, version: int | None, **changes: Any) -> None:
        content = offering_content(**changes)
        world.send(
            UpdateOffering(
                actor=by,
                offering_id=UUID(offering_id),
                content=content,
                expected_version=version,
            )
        )

    with pytest.raises(VersionConflictError):
        update(owner, 5)
    update(owner, 1, title="Two")
    world.send(RemoveMember(actor=owner, npo_id=UUID(npo_id), user_id=outsider.user_id))
    with pytest.raises(NotAllowedError):
        update(outsider, None)
    world.catch_up()
    doc = world.documents.get("offerings_v1", offering_id)
    assert doc is not None
    assert (doc["title"], doc["version"], doc["_version"]) == ("Two", 2, 2)


def test_upload_attach_and_refuse_by_content(world: World) -> None:
    owner = npo_user()
    npo_id = world.npo(owner)
    offering_id = world.publish(owner, npo_id)

    def claim(filename: str, size: int) -> str:
        ticket = world.send(
            StartUpload(
                actor=owner,
                offering_id=UUID(offering_id),
                filename=filename,
                content_type="application/pdf",
                size=size,
            )
        )
        # Check the URL writes the upload key, and only that.
        assert f"/blobs/{upload_key(offering_id, ticket.resource_id)}?" in (
            ticket.upload_url
        )
        return ticket.resource_id

    def attach(resource_id: str) -> None:
        world.send(
            AttachUpload(
                actor=owner, offering_id=UUID(offering_id), resource_id=resource_id
            )
        )

    guide = claim("guide.pdf", len(PDF_BYTES))
    world.blobs.put(upload_key(offering_id, guide), PDF_BYTES, "application/pdf")
    attach(guide)
    # Check the bytes moved to an accepted key; the upload key is empty again.
    [accepted] = world.blobs.list(f"offerings/{offering_id}/")
    assert accepted.startswith(f"offerings/{offering_id}/files/{guide}/")
    assert world.blobs.get(accepted) == PDF_BYTES
    assert world.blobs.list("uploads/") == []

    # A PNG uploaded as a PDF is refused, recorded and deleted.
    liar = claim("fake.pdf", len(PNG_BYTES))
    world.blobs.put(upload_key(offering_id, liar), PNG_BYTES, "application/pdf")
    with pytest.raises(UnreadableResourceError, match="image/png, not application/pdf"):
        attach(liar)
    assert world.blobs.list(f"offerings/{offering_id}/") == [accepted]
    assert world.blobs.list("uploads/") == []
    world.catch_up()
    doc = world.documents.get("offerings_v1", offering_id)
    assert doc is not None
    states = {r["filename"]: (r["state"], r["key"]) for r in doc["resources"]}
    assert states == {
        "guide.pdf": ("READY", accepted),
        "fake.pdf": ("REJECTED", upload_key(offering_id, liar)),
    }

    # Deleting the offering deletes its files.
    world.send(DeleteOffering(actor=owner, offering_id=UUID(offering_id)))
    assert world.blobs.list(f"offerings/{offering_id}/") == []


def test_concurrent_attaches_keep_one_file_the_one_recorded(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = npo_user()
    npo_id = world.npo(owner)
    offering_id = world.publish(owner, npo_id)
    ticket = world.send(
        StartUpload(
            actor=owner,
            offering_id=UUID(offering_id),
            filename="guide.pdf",
            content_type="application/pdf",
            size=len(PDF_BYTES),
        )
    )
    rid = ticket.resource_id
    world.blobs.put(upload_key(offering_id, rid), PDF_BYTES, "application/pdf")
    # Both attaches judge the upload and store it before either records it.
    both_stored = threading.Barrier(2, timeout=10)
    put = world.blobs.put

    def put_then_wait(key: str, data: bytes, content_type: str) -> None:
        put(key, data, content_type)
        if "/files/" in key:
            both_stored.wait()

    monkeypatch.setattr(world.blobs, "put", put_then_wait)
    errors: list[BaseException] = []

    def attach() -> None:
        try:
            world.send(
                AttachUpload(
                    actor=owner, offering_id=UUID(offering_id), resource_id=rid
                )
            )
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=attach) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Check both succeeded, and only the file the event names is kept.
    assert errors == []
    offering: object = world.app.repository.get(UUID(offering_id))
    assert isinstance(offering, Offering)
    recorded = offering.resources[rid].key
    assert world.blobs.list(f"offerings/{offering_id}/") == [recorded]
    assert world.blobs.get(recorded) == PDF_BYTES
    assert world.blobs.list("uploads/") == []


def test_a_file_is_served_only_while_its_stored_bytes_are_those_attached(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = npo_user()
    npo_id = world.npo(owner)
    offering_id = world.publish(owner, npo_id)
    rid = world.send(
        StartUpload(
            actor=owner,
            offering_id=UUID(offering_id),
            filename="guide.pdf",
            content_type="application/pdf",
            size=len(PDF_BYTES),
        )
    ).resource_id
    world.blobs.put(upload_key(offering_id, rid), PDF_BYTES, "application/pdf")
    world.send(
        AttachUpload(actor=owner, offering_id=UUID(offering_id), resource_id=rid)
    )
    world.catch_up()
    [accepted] = world.blobs.list(f"offerings/{offering_id}/")
    read: list[str] = []
    get = world.blobs.get

    def reading(key: str) -> bytes:
        read.append(key)
        return get(key)

    monkeypatch.setattr(world.blobs, "get", reading)

    def download() -> DownloadLink:
        return resource_download(
            world.views,
            world.documents,
            world.blobs,
            Viewer(owner.user_id, owner.roles),
            offering_id=offering_id,
            resource_id=rid,
        )

    # Check an accepted key is checked by its size alone (no URL writes it).
    link = download()
    assert (link.filename, link.size, read) == ("guide.pdf", len(PDF_BYTES), [])
    # Check bytes of another size, or none, are not served.
    world.blobs.put(accepted, PDF_BYTES[:-1], "application/pdf")
    with pytest.raises(GoneError):
        download()
    world.blobs.delete(accepted)
    with pytest.raises(GoneError):
        download()


def test_deleting_a_flagged_npo_frees_its_leader_for_the_next_in_line(
    world: World,
) -> None:
    world.send(SetPolicy(actor=world.admin, leader_npo_cap=1, communities_per_leader=3))
    world.community(["resume-writing"], leaders=1)
    first, second = npo_user(), npo_user()
    first_id, second_id = world.npo(first), world.npo(second)
    offering_id = world.publish(first, first_id)
    world.publish(second, second_id)
    assert world.get(first_id).leader_id == "l0"
    assert world.get(second_id).waiting_in is not None

    world.send(
        RecordVerification(
            actor=leader_user("l0"),
            npo_id=UUID(first_id),
            status=VerificationStatus.FLAGGED,
            reason="Fake EIN",
        )
    )
    with pytest.raises(ConflictError):
        world.send(ApproveNpo(actor=world.admin, npo_id=UUID(first_id)))
    # The NPO itself checks who deletes it (an admin).
    with pytest.raises(NotAllowedError):
        world.send(DeleteNpo(actor=first, npo_id=UUID(first_id), reason="mine"))
    world.send(
        DeleteNpo(
            actor=world.admin, npo_id=UUID(first_id), reason="Registration id is fake"
        )
    )

    # Check the offering went down and the waiting NPO got the freed leader.
    assert world.get(second_id).leader_id == "l0"
    world.catch_up()
    doc = world.documents.get("offerings_v1", offering_id)
    assert doc is not None
    assert (doc["status"], doc["status_reason"]) == (
        "TAKEN_DOWN",
        "The NPO was deleted.",
    )
    leaders = list_leaders(world.views)
    assert [(r.leader_id, r.active_npos, r.effective_cap) for r in leaders] == [
        ("l0", 1, 1)
    ]
    # A late message for an offering created in the race with the deletion.
    with pytest.raises(ConflictError):
        world.offering(first, first_id)


def test_an_npo_matching_no_community_waits_in_the_default_until_placed(
    world: World,
) -> None:
    housing = world.community(["rent-housing"], leaders=1)
    owner = npo_user()
    npo_id = world.npo(owner, service_areas=["gardening"])
    world.publish(owner, npo_id, categories=["child_care"], tags=["kids"])
    npo = world.get(npo_id)
    # Check: the default community, which has no leaders yet: waiting.
    assert npo.community_ids == [npo.waiting_in]
    world.catch_up()
    default = [c for c in list_communities(world.views) if c.is_default]
    assert default[0].waiting == (npo_id,)
    # The admin places it (A2): it gets that community's leader.
    world.send(
        PlaceNpo(actor=world.admin, npo_id=UUID(npo_id), community_ids=(housing,))
    )
    npo = world.get(npo_id)
    assert (npo.leader_id, npo.waiting_in) == ("l0", None)
    world.catch_up()
    assert [c.waiting for c in list_communities(world.views) if c.is_default] == [()]
    with pytest.raises(NotFoundError):
        world.send(
            PlaceNpo(
                actor=world.admin,
                npo_id=UUID(npo_id),
                community_ids=("not-a-community",),
            )
        )


def test_replaying_messages_has_no_second_effect(world: World) -> None:
    world.community(["resume-writing"], leaders=2)
    owner = npo_user()
    npo_id = world.npo(owner)
    offering_id = world.publish(owner, npo_id)
    head = world.app.recorder.max_notification_id()
    for _ in range(3):
        result = world.record(npo_id, offering_id, "replay")
        assert result.position is None
    assert world.app.recorder.max_notification_id() == head
    with pytest.raises(NotFoundError):
        world.record(npo_id, str(UUID(int=1)), "bad")


def test_a_leader_leaving_hands_their_npos_to_the_others(world: World) -> None:
    community_id = world.community(["resume-writing"], leaders=2)
    owners = [npo_user() for _ in range(4)]
    ids = [world.npo(o) for o in owners]
    for owner, npo_id in zip(owners, ids, strict=True):
        world.publish(owner, npo_id)
    assert [world.get(i).leader_id for i in ids] == ["l0", "l1", "l0", "l1"]
    world.send(
        RemoveLeader(actor=world.admin, community_id=UUID(community_id), user_id="l0")
    )
    assert [world.get(i).leader_id for i in ids] == ["l1", "l1", "l1", "l1"]
    world.catch_up()
    community = get_community(world.views, community_id)
    assert community.leaders == ("l1",)


def test_concurrent_completions_never_pass_a_cap(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Optimistic concurrency alone (the in-process locks are switched off)."""
    world.app.decision_lock = nullcontext()  # type: ignore[assignment]
    as_separate_processes(world.app)
    # Switch threads often, so that decisions really interleave.
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    stale_writes = 0
    save_changes = world.app.save_changes

    def counting(*aggregates: Any) -> Any:
        nonlocal stale_writes
        try:
            return save_changes(*aggregates)
        except IntegrityError:
            stale_writes += 1
            raise

    monkeypatch.setattr(world.app, "save_changes", counting)
    world.send(SetPolicy(actor=world.admin, leader_npo_cap=3, communities_per_leader=3))
    world.community(["resume-writing"], leaders=3)
    owners = [npo_user() for _ in range(20)]
    pairs = []
    for owner in owners:
        npo_id = world.npo(owner)
        pairs.append((npo_id, world.offering(owner, npo_id)))
    start = threading.Barrier(len(pairs))
    errors: list[BaseException] = []

    def complete(npo_id: str, offering_id: str) -> None:
        start.wait()
        try:
            world.record(npo_id, offering_id, "c")
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=complete, args=p) for p in pairs]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(previous)
    assert errors == []
    assert stale_writes > 0  # the version check did the work
    leaders = [world.get(npo_id).leader_id for npo_id, _ in pairs]
    assert (
        sorted(leader for leader in leaders if leader)
        == ["l0"] * 3 + ["l1"] * 3 + ["l2"] * 3
    )
    assert sum(1 for npo_id, _ in pairs if world.get(npo_id).waiting_in) == 11


def test_members_and_leaders_hold_the_roles_the_user_directory_knows(
    world: World,
) -> None:
    owner = npo_user()
    npo_id = UUID(world.npo(owner))
    community_id = UUID(world.community(["resume-writing"], leaders=0))
    # Check a user the directory does not know is not found.
    with pytest.raises(NotFoundError, match="No such user"):
        world.send(AddMember(actor=owner, npo_id=npo_id, user_id="stranger"))
    with pytest.raises(NotFoundError, match="No such user"):
        world.send(
            AddLeader(actor=world.admin, community_id=community_id, user_id="stranger")
        )
    # Check the roles the user holds decide (a candidate is neither).
    world.onboarding.users.add("candidate", "CANDIDATE")
    with pytest.raises(InvalidFieldError, match="NPO role"):
        world.send(AddMember(actor=owner, npo_id=npo_id, user_id="candidate"))
    with pytest.raises(InvalidFieldError, match="COMMUNITY_LEADER"):
        world.send(
            AddLeader(actor=world.admin, community_id=community_id, user_id="candidate")
        )
