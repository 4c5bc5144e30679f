"""The onboarding aggregates and rules, told as stories (no I/O)."""

from __future__ import annotations

import pytest

from domain.base import ConflictError, InvalidFieldError, NotAllowedError, acting_as
from domain.onboarding.catalogue import DEFAULT_CATEGORIES
from domain.onboarding.community import Community
from domain.onboarding.community_directory import CommunityDirectory
from domain.onboarding.errors import (
    CapReachedError,
    UnreadableResourceError,
    VersionConflictError,
)
from domain.onboarding.leader import Leader
from domain.onboarding.leader_roster import LeaderRoster
from domain.onboarding.npo import Npo, VerificationStatus
from domain.onboarding.offering import Offering
from domain.onboarding.resource import accepted_key, upload_key
from domain.onboarding.round_robin import (
    assign_or_queue,
    displace,
    pick_leader,
    serve_waiting,
)
from domain.onboarding.values import Placement
from tests.support.onboarding import npo_profile, offering_content


def test_only_an_npo_user_creates_an_npo_and_the_platform_names_it() -> None:
    with pytest.raises(NotAllowedError):
        Npo.register("u1", {"CANDIDATE"}, npo_profile())
    with acting_as("u1", "corr"):
        npo = Npo.register("u1", {"NPO"}, npo_profile())
    # Check the platform assigned a UUID, the creator is the first member, PENDING.
    assert npo.id.version == 4
    assert npo.members == ["u1"]
    assert npo.registration == "PENDING"
    assert npo.verification == "UNVERIFIED"
    assert npo.profile.service_areas == ("resume-writing", "interview-prep")
    assert npo.profile.location.country == "US"
    assert npo.collect_events()[0].actor_id == "u1"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": " "}, "name"),
        ({"registration_id": None}, "registration_id"),
        ({"website": "ftp://x.example"}, "website"),
        ({"contact": {"email": "not-an-email"}}, "contact.email"),
        ({"contact": {"phone": "555-1234"}}, "contact.phone"),
        (
            {"location": {"region": "X", "latitude": 99, "longitude": 0}},
            "location.latitude",
        ),
        ({"location": {"region": "X", "latitude": 1}}, "location"),
        ({"location": {}}, "location.region"),
        ({"service_areas": ["ok", "!!!"]}, "service_areas[1]"),
    ],
)
def test_a_bad_profile_field_is_named(change: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidFieldError) as raised:
        npo_profile(**change)
    assert raised.value.field == field


def test_the_creator_manages_members_and_only_members_edit() -> None:
    npo = Npo.register("creator", {"NPO"}, npo_profile())
    # Check only NPO-role users can be added, and only by the creator.
    with pytest.raises(InvalidFieldError):
        npo.add_member("creator", "candidate", {"CANDIDATE"})
    npo.add_member("creator", "colleague", {"NPO"})
    with pytest.raises(NotAllowedError):
        npo.add_member("colleague", "third", {"NPO"})
    npo.add_member("creator", "colleague", {"NPO"})  # twice: nothing new
    assert npo.members == ["creator", "colleague"]
    # Check members edit; outsiders do not.
    npo.update_profile("colleague", npo_profile(name="Renamed"))
    assert npo.profile.name == "Renamed"
    with pytest.raises(NotAllowedError):
        npo.update_profile("stranger", npo_profile())
    # Check the creator stays and removes others.
    with pytest.raises(ConflictError):
        npo.remove_member("creator", "creator")
    npo.remove_member("creator", "colleague")
    assert npo.members == ["creator"]
    with pytest.raises(NotAllowedError):
        npo.require_publisher("colleague", {"NPO"})


def test_the_first_recorded_offering_completes_registration_once() -> None:
    npo = Npo.register("creator", {"NPO"}, npo_profile())
    assert npo.record_offering("o1") is True
    assert npo.registration == "COMPLETE"
    assert npo.completed_at is not None
    # Check duplicates and later offerings change nothing more.
    assert npo.record_offering("o1") is False
    assert npo.record_offering("o2") is False
    names = [type(e).__name__ for e in npo.collect_events()]
    assert names.count("RegistrationCompleted") == 1
    assert names.count("OfferingRecorded") == 2


def test_verification_by_the_assigned_leader_then_approval_by_an_admin() -> None:
    npo = Npo.register("creator", {"NPO"}, npo_profile())
    npo.record_offering("o1")
    npo.assign_leader("leader", "community")
    with pytest.raises(NotAllowedError):
        npo.record_verification("other-leader", VerificationStatus.VERIFIED, None)
    with pytest.raises(ConflictError):
        npo.approve({"ADMIN"})  # not verified yet
    with pytest.raises(InvalidFieldError):
        npo.record_verification("leader", VerificationStatus.FLAGGED, " ")
    npo.record_verification("leader", VerificationStatus.FLAGGED, "No such EIN")
    assert (npo.verification, npo.verification_reason) == ("FLAGGED", "No such EIN")
    # Check the leader may change their mind before an admin decides.
    npo.record_verification("leader", VerificationStatus.VERIFIED, None)
    with pytest.raises(NotAllowedError):
        npo.approve({"COMMUNITY_LEADER"})
    npo.approve({"ADMIN"})
    assert npo.approved
    with pytest.raises(ConflictError):
        npo.record_verification("leader", VerificationStatus.FLAGGED, "late")


def test_deletion_names_members_leader_and_offerings() -> None:
    npo = Npo.register("creator", {"NPO"}, npo_profile())
    npo.add_member("creator", "colleague", {"NPO"})
    npo.record_offering("o1")
    npo.assign_leader("leader", "community")
    with pytest.raises(NotAllowedError):
        npo.delete({"NPO"}, "fake")
    npo.delete({"ADMIN"}, "Registration id is fake")
    deleted = npo.collect_events()[-1]
    assert type(deleted).__name__ == "Deleted"
    assert deleted.member_ids == ["creator", "colleague"]  # type: ignore[attr-defined]
    assert deleted.leader_id == "leader"  # type: ignore[attr-defined]
    assert deleted.offering_ids == ["o1"]  # type: ignore[attr-defined]
    with pytest.raises(ConflictError):
        npo.update_profile("creator", npo_profile())


def test_offering_content_is_validated_sanitised_and_versioned() -> None:
    with pytest.raises(InvalidFieldError) as raised:
        Offering.create(
            "npo", offering_content(categories=["astrology"]), DEFAULT_CATEGORIES
        )
    assert raised.value.field == "categories[0]"
    item = Offering.create("npo", offering_content(), DEFAULT_CATEGORIES)
    assert item.content.description_html == "<p>Bring your <strong>CV</strong>.</p>"
    assert item.content.tags == ("resumes", "career-change")
    assert item.version == 1
    # Check an edit names the version it started from.
    with pytest.raises(VersionConflictError):
        item.update(
            offering_content(title="New"), DEFAULT_CATEGORIES, expected_version=7
        )
    item.update(offering_content(title="New"), DEFAULT_CATEGORIES, expected_version=1)
    assert (item.content.title, item.version) == ("New", 2)


def test_resources_are_checked_at_both_steps() -> None:
    item = Offering.create("npo", offering_content(), DEFAULT_CATEGORIES)
    with pytest.raises(UnreadableResourceError):
        item.start_upload("tool.exe", "application/octet-stream", 10)
    with pytest.raises(InvalidFieldError):
        item.start_upload("photo.png", "application/pdf", 10)
    with pytest.raises(InvalidFieldError):
        item.start_upload("../../etc/passwd.txt", "text/plain", 10)
    resource_id = item.start_upload("guide.pdf", "application/pdf", 1000)
    # Check bytes that are not what was declared are refused, and recorded so.
    reason = item.attach_upload(resource_id, 900, "image/png", "abc", None)
    assert reason == "the content is image/png, not application/pdf"
    assert item.resources[resource_id].state == "REJECTED"
    second = item.start_upload("guide.pdf", "application/pdf", 1000)
    accepted = accepted_key(item.id, second, "a1")
    assert item.attach_upload(second, 900, "application/pdf", "abc", accepted) is None
    assert item.resources[second].state == "READY"
    assert item.resources[second].key == accepted
    # Check a module may point at a usable resource only.
    with pytest.raises(InvalidFieldError):
        item.update(
            offering_content(
                modules=[{"kind": "download", "title": "x", "resource_id": "no"}]
            ),
            DEFAULT_CATEGORIES,
            None,
        )
    item.update(
        offering_content(
            modules=[{"kind": "download", "title": "Guide", "resource_id": second}]
        ),
        DEFAULT_CATEGORIES,
        None,
    )
    with pytest.raises(ConflictError):
        item.remove_resource(second)


def test_attached_bytes_live_under_a_key_no_upload_url_writes() -> None:
    item = Offering.create("npo", offering_content(), DEFAULT_CATEGORIES)
    first = item.start_upload("guide.pdf", "application/pdf", 1000)
    other = item.start_upload("notes.txt", "text/plain", 10)
    # Check the upload is claimed under its upload key, the one URLs are signed for.
    assert item.resources[first].key == upload_key(item.id, first)
    assert item.resources[first].key.startswith("uploads/")
    # Check accepted bytes must be stored under one of the resource's accepted keys.
    for wrong in (
        None,
        upload_key(item.id, first),
        accepted_key(item.id, other, "a1"),
        accepted_key(item.id, first, ""),
        accepted_key(item.id, first, "a1/b"),
    ):
        with pytest.raises(ValueError, match="not an accepted key"):
            item.attach_upload(first, 900, "application/pdf", "abc", wrong)
        assert item.resources[first].state == "AWAITING_UPLOAD"
    accepted = accepted_key(item.id, first, "a1")
    item.attach_upload(first, 900, "application/pdf", "abc", accepted)
    assert (item.resources[first].state, item.resources[first].key) == (
        "READY",
        accepted,
    )
    # Check attaching again keeps the bytes first attached.
    again = accepted_key(item.id, first, "a2")
    assert item.attach_upload(first, 900, "application/pdf", "def", again) is None
    assert (item.resources[first].key, item.resources[first].sha256) == (
        accepted,
        "abc",
    )


def test_taken_down_offerings_freeze() -> None:
    item = Offering.create("npo", offering_content(), DEFAULT_CATEGORIES)
    with pytest.raises(NotAllowedError):
        item.take_down({"NPO"}, "spam")
    item.take_down({"ADMIN"}, "Misleading")
    with pytest.raises(ConflictError):
        item.update(offering_content(), DEFAULT_CATEGORIES, None)


def _community(name: str, tags: list[str]) -> Community:
    return Community.found("admin", {"ADMIN"}, name, None, tags)


def test_placement_matches_tags_else_the_default_community() -> None:
    directory = CommunityDirectory.start()
    default = Community.found_default()
    careers = _community("Careers", ["resume-writing", "interview-prep"])
    housing = _community("Housing", ["rent-housing"])
    both = _community("Everything", ["rent-housing", "resume-writing"])
    for community in (default, careers, housing, both):
        directory.list_community(community)
    with pytest.raises(ConflictError):
        directory.list_community(_community("careers", ["x"]))  # same name
    # Check best match first, ties in founding order, categories count as tags.
    placement = directory.placement(["Resume Writing", "interview_prep"])
    assert placement.community_ids == (str(careers.id), str(both.id))
    assert placement.matched_tags == ("interview-prep", "resume-writing")
    assert directory.placement(["gardening"]) == Placement((str(default.id),))
    with pytest.raises(NotAllowedError):
        Community.found("u", {"NPO"}, "Mine", None, ["x"])


def _npo(number: int) -> Npo:
    npo = Npo.register(f"creator-{number}", {"NPO"}, npo_profile())
    npo.record_offering(f"o{number}")
    return npo


def _staffed(
    leaders: int, community: str = "c1"
) -> tuple[LeaderRoster, dict[str, Leader]]:
    roster = LeaderRoster.open(community)
    staff = {}
    for n in range(leaders):
        leader = Leader.enrol(f"l{n}", {"COMMUNITY_LEADER"})
        leader.join(community, communities_cap=3)
        roster.add_leader(leader.user_id)
        staff[leader.user_id] = leader
    return roster, staff


def test_round_robin_under_the_cap_then_fifo_waiting() -> None:
    roster, staff = _staffed(3)
    staff["l1"].set_cap(1)
    npos = [_npo(n) for n in range(8)]
    chosen = [assign_or_queue(npo, roster, staff, default_cap=2) for npo in npos]
    # Check the rotation skips a full leader and nobody passes their cap.
    assert [c.user_id if c else None for c in chosen] == [
        "l0", "l1", "l2", "l0", "l2", None, None, None,
    ]  # fmt: skip
    assert {k: len(v.npos) for k, v in staff.items()} == {"l0": 2, "l1": 1, "l2": 2}
    assert [w[0] for w in roster.waiting] == [str(n.id) for n in npos[5:]]
    assert npos[5].waiting_in == "c1"
    # Check a raised cap serves the longest-waiting first.
    staff["l1"].set_cap(3)
    served = serve_waiting([roster], staff, {str(n.id): n for n in npos}.__getitem__, 2)
    assert served == [npos[5], npos[6]]
    assert [w[0] for w in roster.waiting] == [str(npos[7].id)]


def test_the_cap_is_enforced_by_the_leader_itself() -> None:
    roster, staff = _staffed(1)
    staff["l0"].set_cap(0)
    with pytest.raises(CapReachedError):
        staff["l0"].take("npo", "c1", default_cap=5)
    assert pick_leader(roster, staff, default_cap=5) is None


def test_a_leader_leads_a_capped_number_of_communities() -> None:
    leader = Leader.enrol("l", {"COMMUNITY_LEADER"})
    leader.join("a", communities_cap=2)
    leader.join("b", communities_cap=2)
    with pytest.raises(CapReachedError):
        leader.join("c", communities_cap=2)
    with pytest.raises(InvalidFieldError):
        Leader.enrol("x", {"NPO"})


def test_when_a_leader_leaves_their_npos_go_first_in_the_queue() -> None:
    roster, staff = _staffed(2)
    npos = [_npo(n) for n in range(5)]
    by_id = {str(n.id): n for n in npos}
    for npo in npos:
        assign_or_queue(npo, roster, staff, default_cap=2)
    assert [w[0] for w in roster.waiting] == [str(npos[4].id)]
    leaving = staff["l0"]
    displaced = displace(roster, leaving, by_id.__getitem__, "left")
    roster.remove_leader("l0")
    leaving.leave("c1")
    # Check the displaced NPOs (completed earlier) are now ahead of npo 4.
    assert [n.id for n in displaced] == [npos[0].id, npos[2].id]
    assert [w[0] for w in roster.waiting] == [
        str(npos[0].id),
        str(npos[2].id),
        str(npos[4].id),
    ]
    assert npos[0].leader_id is None
    # A newcomer takes the head of the queue.
    newcomer = Leader.enrol("l9", {"COMMUNITY_LEADER"})
    newcomer.join("c1", 3)
    roster.add_leader("l9")
    staff["l9"] = newcomer
    del staff["l0"]
    served = serve_waiting([roster], staff, by_id.__getitem__, default_cap=2)
    assert served == [npos[0], npos[2]]
