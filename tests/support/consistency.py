"""Watching read-your-writes: whether a request asked the engine anything, or waited.

Every read-your-writes check goes through the engine's ``PositionBoard.wait_for``
(a zero timeout only asks where the views are) and ``ProjectionEngine.head`` (the
latest position of a source's log). ``WaitSpy`` records both, so a test asserts
that a refused caller never reached them, without measuring time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pytest

from projections.engine.engine import ProjectionEngine

# Far beyond the head of any test's log.
FAR_BEYOND_HEAD = 999_999_999_999


@dataclass
class WaitSpy:
    # (source, position, timeout) of every question put to the board.
    asked: list[tuple[str, int, float]] = field(default_factory=list)
    heads: list[str] = field(default_factory=list)

    @property
    def waits(self) -> list[tuple[str, int, float]]:
        """The questions that could have waited (a timeout above zero)."""
        return [each for each in self.asked if each[2] > 0]

    def forget(self) -> None:
        self.asked.clear()
        self.heads.clear()


def spy_on_waits(engine: ProjectionEngine, monkeypatch: pytest.MonkeyPatch) -> WaitSpy:
    spy = WaitSpy()
    board_wait_for = engine.board.wait_for
    head = engine.head

    def recorded_wait_for(
        source: str, position: int, projections: Iterable[str], timeout: float
    ) -> int:
        spy.asked.append((source, position, timeout))
        return board_wait_for(source, position, projections, timeout)

    def recorded_head(source: str) -> int:
        spy.heads.append(source)
        return head(source)

    monkeypatch.setattr(engine.board, "wait_for", recorded_wait_for)
    monkeypatch.setattr(engine, "head", recorded_head)
    return spy


def far_beyond(source: str = "identity") -> str:
    return f"{source}:{FAR_BEYOND_HEAD}"
