"""The roadmap's handlers on the in-memory careers application: an offering copied
as it is, a goal or an offering (never both), badges earned in the same save, and
two decisions at once keeping the roadmap's invariants (the unit of work retries a
stale write)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from uuid import uuid4

import pytest

from commands.careers.messages import (
    CompleteRoadmapItem,
    RequestRoadmapItem,
    SuggestRoadmapItem,
    WithdrawRoadmapItem,
)
from domain.base import ConflictError, InvalidFieldError
from domain.careers.roadmap import Roadmap, RoadmapStatus
from domain.careers.roadmap_items import ItemKind, ItemSpec, ItemStatus
from tests.support.concurrency import as_separate_processes
from tests.support.mentoring import Careers
from tests.support.roadmap import MentoredCandidate, goal

CLINIC = ItemSpec.offering(
    offering_id="3f0c5e0e-0000-4000-8000-000000000001",
    version=3,
    npo_id="npo-1",
    title="Resume clinic",
    modules=[("a", "Draft"), ("b", "Review")],
    deadlines=[("Apply by", "2031-01-31")],
)


class Offerings:
    """What the composition root gives careers: visible offerings as they are."""

    def __init__(self, *specs: ItemSpec) -> None:
        self.specs = {s.offering_id: s for s in specs}

    def visible(self, offering_ids: Sequence[str]) -> frozenset[str]:
        return frozenset(i for i in offering_ids if i in self.specs)

    def roadmap_item(self, offering_id: str) -> ItemSpec | None:
        return self.specs.get(offering_id)


@pytest.fixture
def careers() -> Iterator[Careers]:
    built = Careers()
    built.app.offerings = Offerings(CLINIC)
    yield built
    built.close()


@pytest.fixture
def mentee(careers: Careers) -> MentoredCandidate:
    return MentoredCandidate(careers)


def request(mentee: MentoredCandidate, **what: object) -> str:
    item_id = str(uuid4())
    mentee.careers.send(
        RequestRoadmapItem(
            actor=mentee.as_candidate,
            candidate_id=mentee.candidate_id,
            item_id=item_id,
            **what,
        )
    )
    return item_id


def test_an_offering_is_copied_with_its_references(mentee: MentoredCandidate) -> None:
    item_id = request(mentee, offering_id=CLINIC.offering_id)
    item = mentee.roadmap().item(item_id)
    # Check the item holds the offering's modules, deadlines and references.
    assert (item.kind, item.offering_id, item.offering_version, item.npo_id) == (
        ItemKind.OFFERING,
        CLINIC.offering_id,
        3,
        "npo-1",
    )
    assert [(m.id, m.title) for m in item.modules] == [("a", "Draft"), ("b", "Review")]
    assert [(d.id, d.title, d.due) for d in item.deadlines] == [
        ("d1", "Apply by", "2031-01-31")
    ]
    assert item.status == ItemStatus.PENDING_APPROVAL


def test_a_goal_or_a_visible_offering_and_never_both(
    mentee: MentoredCandidate,
) -> None:
    for what, field in (
        ({}, "goal"),
        ({"goal": goal(), "offering_id": CLINIC.offering_id}, "goal"),
        ({"offering_id": "hidden"}, "offering_id"),
        ({"goal": goal(), "item_id": "not an id"}, "item_id"),
    ):
        item_id = what.pop("item_id", str(uuid4()))
        with pytest.raises(InvalidFieldError) as refused:
            mentee.careers.send(
                RequestRoadmapItem(
                    actor=mentee.as_candidate,
                    candidate_id=mentee.candidate_id,
                    item_id=item_id,
                    **what,
                )
            )
        assert refused.value.field == field
    # Check the mentor suggests the same way.
    with pytest.raises(InvalidFieldError):
        mentee.careers.send(
            SuggestRoadmapItem(
                actor=mentee.as_mentor,
                candidate_id=mentee.candidate_id,
                item_id="x",
                offering_id="hidden",
            )
        )


def test_badges_are_earned_in_the_same_save(mentee: MentoredCandidate) -> None:
    careers = mentee.careers
    item_id = mentee.request(goal(modules=("Only",)))
    approved = mentee.approve(item_id)
    # Check one save holds the approval and the badge: its ids name both.
    assert str(Roadmap.id_for(mentee.candidate_id)) in approved.ids
    assert mentee.candidate_id in approved.ids
    assert "first_item_approved" in careers.get_candidate(mentee.candidate_id).badges
    assert "roadmap_completed" not in careers.get_candidate(mentee.candidate_id).badges

    second = mentee.request()
    mentee.approve(second)
    candidate = careers.get_candidate(mentee.candidate_id)
    assert candidate.badges.count("first_item_approved") == 1

    mentee.mark(item_id, "m1")
    careers.send(
        WithdrawRoadmapItem(
            actor=mentee.as_mentor, candidate_id=mentee.candidate_id, item_id=second
        )
    )
    # Check withdrawing the last open item completes the roadmap: the badge.
    assert mentee.roadmap().status == RoadmapStatus.COMPLETED
    assert "roadmap_completed" in careers.get_candidate(mentee.candidate_id).badges


def at_once(
    mentee: MentoredCandidate,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    key: Callable[..., object],
) -> threading.Barrier:
    """Make the first call of ``Roadmap.<method>`` for each ``key`` wait until two
    decisions loaded the same roadmap: both then save, one of them stale (the two
    race as from two processes; within one, they would take turns)."""
    as_separate_processes(mentee.careers.app)
    original = getattr(Roadmap, method)
    barrier = threading.Barrier(2, timeout=10)
    seen: set[object] = set()
    lock = threading.Lock()

    def waiting(self: Roadmap, *args: object, **kwargs: object) -> object:
        with lock:
            first = key(*args) not in seen
            seen.add(key(*args))
        if first:
            barrier.wait()
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Roadmap, method, waiting)
    return barrier


def both(*calls: Callable[[], object]) -> None:
    errors: list[BaseException] = []

    def run(call: Callable[[], object]) -> None:
        try:
            call()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors


def test_two_approvals_at_once_both_keep_their_place(
    mentee: MentoredCandidate, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = mentee.request()
    mentee.approve(kept)
    first, second = mentee.request(), mentee.request()
    version = mentee.roadmap().version
    barrier = at_once(mentee, monkeypatch, "approve", lambda item_id, *_: item_id)

    both(lambda: mentee.approve(first, 0), lambda: mentee.approve(second, 0))

    # Check both decisions were taken on the same roadmap, and both were saved.
    assert barrier.n_waiting == 0
    roadmap = mentee.roadmap()
    order = [i.id for i in roadmap.on_roadmap]
    assert sorted(order[:2]) == sorted([first, second])
    assert order[2] == kept
    assert len(roadmap.priorities) == len(set(roadmap.priorities)) == 3
    assert roadmap.version == version + 2
    assert (
        mentee.careers.get_candidate(mentee.candidate_id).badges.count(
            "first_item_approved"
        )
        == 1
    )


def test_two_marks_at_once_complete_the_item_once(
    mentee: MentoredCandidate, monkeypatch: pytest.MonkeyPatch
) -> None:
    item_id = mentee.request(goal(modules=("Draft", "Review")))
    mentee.approve(item_id)
    at_once(mentee, monkeypatch, "mark_module", lambda _item, module_id, *_: module_id)

    both(lambda: mentee.mark(item_id, "m1"), lambda: mentee.mark(item_id, "m2"))

    roadmap = mentee.roadmap()
    item = roadmap.item(item_id)
    assert [m.done for m in item.modules] == [True, True]
    assert item.status == ItemStatus.COMPLETED
    assert (roadmap.completions, str(roadmap.percent)) == (1, "100.0")
    # Check a completed item refuses more work.
    with pytest.raises(ConflictError):
        mentee.careers.send(
            CompleteRoadmapItem(
                actor=mentee.as_candidate,
                candidate_id=mentee.candidate_id,
                item_id=item_id,
            )
        )
