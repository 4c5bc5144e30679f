"""Concurrency in tests: saves held in a transaction, threads, commands racing as
if each ran in a process of its own."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from commands.aggregate_turns import AggregateTurns
from commands.base import SpotlightApplication


class EveryoneAtOnce(AggregateTurns):
    """Turns that never make a command wait: the event store's version check is
    all that decides, as between processes."""

    def take(self, aggregate_id: UUID, *, wait: bool) -> bool:
        return True

    def give_back(self, aggregate_id: UUID) -> None:
        return None


def as_separate_processes(app: SpotlightApplication) -> None:
    app.aggregate_turns = EveryoneAtOnce()


class HeldFirstInsert:
    """An insert whose first transaction waits until released: saves arriving
    meanwhile queue for the next one."""

    def __init__(self, insert: Callable[[Sequence[StoredEvent]], Any]) -> None:
        self.insert = insert
        self.entered = threading.Event()  # the first transaction is waiting
        self.release = threading.Event()
        self.transactions: list[int] = []  # events per transaction, in order

    def __call__(self, events: Sequence[StoredEvent]) -> Any:
        if not self.transactions:
            self.entered.set()
            self.release.wait(10)
        self.transactions.append(len(events))
        return self.insert(events)


def in_threads(calls: Sequence[Callable[[], object]]) -> list[object]:
    """Run each call in its own thread; what each returned or raised."""
    outcomes: list[object] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            outcomes[index] = calls[index]()
        except Exception as error:  # noqa: BLE001 - an outcome to check
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    return outcomes_after(threads, outcomes)


def outcomes_after(
    threads: list[threading.Thread], outcomes: list[object]
) -> list[object]:
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def when(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)
