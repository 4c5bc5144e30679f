"""Readiness's checks: one at a time each, kept briefly, and what counts as stalled."""

from __future__ import annotations

import threading
from concurrent.futures import wait

import pytest

from adapters.readiness import SharedCheck, StillWatch, check_views
from projections.engine import FAILED, RUNNING, ProjectionStatus, SourceStatus


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class SlowCheck:
    """A check that answers when the test lets it, counting its runs."""

    def __init__(self) -> None:
        self.runs = 0
        self.go = threading.Event()

    def __call__(self) -> int:
        self.runs += 1
        self.go.wait(5)
        return self.runs


def test_callers_share_the_check_on_its_way_and_its_answer_while_fresh() -> None:
    clock = Clock()
    slow = SlowCheck()
    shared = SharedCheck("slow", slow, fresh_seconds=1.0, clock=clock)

    # Check ten callers while the check runs get the same answer, on its way.
    waiting = [shared.answer() for _ in range(10)]
    assert len({id(f) for f in waiting}) == 1
    assert not waiting[0].done()
    # Check a caller that gives up cannot cancel it for the others.
    assert not waiting[0].cancel()
    slow.go.set()
    assert waiting[0].result(5) == 1

    # Check the answer is kept while fresh, then a new check runs.
    clock.now += 0.9
    assert shared.answer().result(5) == 1
    clock.now += 0.2
    assert shared.answer().result(5) == 2
    assert slow.runs == 2


def test_a_check_that_raises_gives_its_error_to_every_caller() -> None:
    def broken() -> int:
        raise RuntimeError("boom")

    shared = SharedCheck("broken", broken, clock=Clock())
    first, second = shared.answer(), shared.answer()
    wait([first, second], 5)
    with pytest.raises(RuntimeError, match="boom"):
        first.result()
    with pytest.raises(RuntimeError, match="boom"):
        second.result()


def test_something_is_still_while_behind_at_one_position() -> None:
    clock = Clock()
    watch = StillWatch(clock)
    assert watch.still_for("users", 5, behind=True) == 0
    clock.now += 10
    assert watch.still_for("users", 5, behind=True) == 10
    # Check moving starts the count again.
    assert watch.still_for("users", 6, behind=True) == 0
    clock.now += 3
    assert watch.still_for("users", 6, behind=True) == 3
    # Check caught up is never still, and the count starts afresh after.
    assert watch.still_for("users", 6, behind=False) == 0
    clock.now += 50
    assert watch.still_for("users", 6, behind=True) == 0


class Engine:
    def __init__(self, statuses: list[ProjectionStatus]) -> None:
        self.statuses = statuses

    def status(self, *, probe_workers: bool = True) -> list[ProjectionStatus]:
        return self.statuses


def projection(
    name: str, position: int, head: int, state: str = RUNNING
) -> ProjectionStatus:
    return ProjectionStatus(
        name,
        1,
        state,
        "ValueError: no" if state == FAILED else None,
        (SourceStatus("identity", position, head),),
        failed_at=f"identity:{position + 1}" if state == FAILED else None,
    )


def test_views_are_failed_or_stalled_by_what_status_says() -> None:
    clock = Clock()
    watch = StillWatch(clock)
    engine = Engine(
        [
            projection("moving", 10, 20),
            projection("still", 10, 20),
            projection("caught_up", 20, 20),
            projection("failed", 10, 20, FAILED),
        ]
    )
    first = check_views(engine, watch, stall_seconds=30)
    assert [f.projection for f in first.failed] == ["failed"]
    assert first.failed[0].failed_at == "identity:11"
    assert first.stalled == ()

    clock.now += 30
    engine.statuses[0] = projection("moving", 15, 20)
    engine.statuses[2] = projection("caught_up", 20, 20)
    later = check_views(engine, watch, stall_seconds=30)
    # Check only the one behind and not moving for 30 s is stalled.
    assert [(s.projection, s.position, s.head) for s in later.stalled] == [
        ("still", 10, 20)
    ]
    assert later.stalled[0].still_seconds == 30


def test_views_whose_state_cannot_be_read_are_unknown() -> None:
    class Down:
        def status(self, *, probe_workers: bool = True) -> list[ProjectionStatus]:
            raise ConnectionError("no")

    answer = check_views(Down(), StillWatch(Clock()), stall_seconds=30)
    assert answer.error == "ConnectionError"
