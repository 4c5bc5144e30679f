"""The assignment machinery leaders and mentors share (``domain.assignment``), on toy
parties: only the eligibility rule differs between two kinds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from domain.assignment import (
    ANYONE,
    ROUND_ROBIN,
    Tier,
    assign_or_queue,
    displace,
    enqueue,
    next_in_turn,
    pointer_after_leaving,
    queue_key,
    serve_waiting,
)


@dataclass
class ToyPool:
    members: list[str]
    last_assigned: str | None = None
    assignments: dict[str, str] = field(default_factory=dict)
    waiting: list[list[str]] = field(default_factory=list)

    def record_assignment(self, subject_id: str, member_id: str) -> None:
        self.assignments[subject_id] = member_id
        self.last_assigned = member_id
        self.waiting = [w for w in self.waiting if w[0] != subject_id]

    def release(self, subject_id: str) -> None:
        self.assignments.pop(subject_id, None)

    def queue(self, subject_id: str, since: str) -> None:
        if all(w[0] != subject_id for w in self.waiting):
            enqueue(self.waiting, subject_id, since)

    def dequeue(self, subject_id: str) -> None:
        self.waiting = [w for w in self.waiting if w[0] != subject_id]


@dataclass
class ToySeat:
    cap: int
    held: list[str] = field(default_factory=list)

    def spare(self, default_cap: int) -> int:
        return self.cap - len(self.held)


@dataclass
class ToySubject:
    id: str
    since: str
    needs: str = ""
    member: str | None = None
    reason: str | None = None
    waits: bool = False


@dataclass
class ToyKind:
    """Everyone is eligible, unless ``skills`` say who covers which need."""

    skills: dict[str, str] = field(default_factory=dict)

    def key(self, subject: ToySubject) -> str:
        return subject.id

    def since(self, subject: ToySubject) -> str:
        return subject.since

    def rule(self, subject: ToySubject) -> Sequence[Tier]:
        if not self.skills:
            return ANYONE
        return (
            Tier("covers", lambda m: self.skills[m] == subject.needs),
            Tier("anyone", lambda _m: True),
        )

    def is_open(self, subject: ToySubject) -> bool:
        return subject.member is None

    def assign(
        self, pool: ToyPool, subject: ToySubject, seat: ToySeat, reason: str
    ) -> None:
        assert seat.spare(0) > 0
        seat.held.append(subject.id)
        subject.member, subject.reason, subject.waits = "?", reason, False

    def wait(self, pool: ToyPool, subject: ToySubject) -> None:
        subject.waits = True

    def unassign(
        self, pool: ToyPool, subject: ToySubject, seat: ToySeat, reason: str
    ) -> None:
        seat.held.remove(subject.id)
        subject.member = None


def subjects(n: int, needs: str = "") -> list[ToySubject]:
    return [ToySubject(f"s{i}", f"2026-01-0{i + 1}", needs) for i in range(n)]


def test_round_robin_after_the_pointer_skipping_the_full() -> None:
    assert next_in_turn(["a", "b", "c"], "a", lambda m: m != "b") == "c"
    assert next_in_turn(["a", "b", "c"], "c", lambda _m: True) == "a"
    assert next_in_turn(["a", "b"], "gone", lambda _m: True) == "a"
    assert next_in_turn([], None, lambda _m: True) is None


def test_the_pointer_keeps_the_rotation_when_a_member_leaves() -> None:
    assert pointer_after_leaving(["a", "b", "c"], "b", "b") == "a"
    assert pointer_after_leaving(["a", "b", "c"], "a", "a") is None
    assert pointer_after_leaving(["a", "b", "c"], "c", "a") == "c"


def test_the_queue_serves_the_earliest_first_then_by_id() -> None:
    waiting: list[list[str]] = []
    for subject_id, since in (("z", "2"), ("b", "1"), ("a", "2")):
        enqueue(waiting, subject_id, since)
    assert waiting == [["b", "1"], ["a", "2"], ["z", "2"]]
    assert sorted(waiting, key=queue_key) == waiting


def test_the_same_machinery_with_two_rules() -> None:
    # Anyone eligible (leaders): plain round-robin under the caps, then the queue.
    pool = ToyPool(["a", "b"])
    seats = {"a": ToySeat(1), "b": ToySeat(1)}
    people = subjects(3)
    chosen = [assign_or_queue(ToyKind(), pool, s, seats, 0) for s in people]
    assert [c.member_id if c else None for c in chosen] == ["a", "b", None]
    assert {c.reason for c in chosen if c} == {ROUND_ROBIN}
    assert people[2].waits

    # Tiers (mentors): who covers the need first, anyone with room after.
    pool = ToyPool(["a", "b", "c"])
    seats = {m: ToySeat(1) for m in "abc"}
    kind = ToyKind({"a": "cv", "b": "housing", "c": "cv"})
    people = subjects(3, needs="housing")
    chosen = [assign_or_queue(kind, pool, s, seats, 0) for s in people]
    assert [(c.member_id, c.reason) for c in chosen if c] == [
        ("b", "covers"),
        ("c", "anyone"),
        ("a", "anyone"),
    ]


def test_a_leaving_member_s_subjects_go_back_ahead_of_later_ones() -> None:
    pool = ToyPool(["a", "b"])
    seats = {"a": ToySeat(2), "b": ToySeat(1)}
    people = subjects(5)
    by_id = {s.id: s for s in people}
    for subject in people:
        assign_or_queue(ToyKind(), pool, subject, seats, 0)
    assert [w[0] for w in pool.waiting] == ["s3", "s4"]
    displaced = displace(
        ToyKind(), pool, "a", seats["a"], by_id.__getitem__, reason="x"
    )
    assert [s.id for s in displaced] == ["s0", "s2"]
    assert [w[0] for w in pool.waiting] == ["s0", "s2", "s3", "s4"]
    # The member leaves the pool; a newcomer's room serves the head of the line.
    pool.members.remove("a")
    pool.members.append("c")
    seats["c"] = ToySeat(3)
    served = serve_waiting(ToyKind(), [pool], seats, by_id.__getitem__, 0)
    assert [s.id for s in served] == ["s0", "s2", "s3"]
    assert [w[0] for w in pool.waiting] == ["s4"]
