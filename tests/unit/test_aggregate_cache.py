"""The aggregate cache with fast-forward is safe to read from many threads."""

from __future__ import annotations

import threading

from eventsourcing.domain import event

from commands.base import SpotlightApplication
from domain.base import SpotlightAggregate


class Tally(SpotlightAggregate):
    @event("Started")
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    @event("Counted")
    def count(self, keys: list[str]) -> None:
        for key in keys:
            self.counts[key] = self.counts.get(key, 0) + 1


class Tallies(SpotlightApplication):
    name = "tallies"
    env = {
        "AGGREGATE_CACHE_MAXSIZE": "100",
        "AGGREGATE_CACHE_FASTFORWARD": "y",
    }


def test_readers_copying_a_cached_aggregate_never_see_it_change_underfoot() -> None:
    # A writer's application saves; readers' application fast-forwards its cached
    # copy while other readers deep-copy it.
    writer = Tallies(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    readers = Tallies(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    readers.recorder = writer.recorder  # one store, two caches
    readers.events.recorder = writer.recorder
    tally = Tally()
    tally.count([f"k{i}" for i in range(2000)])
    writer.save(tally)
    errors: list[BaseException] = []
    done = threading.Event()

    def write() -> None:
        for round_ in range(150):
            fresh: Tally = writer.repository.get(tally.id)
            fresh.count([f"r{round_}-{i}" for i in range(50)])
            writer.save(fresh)
        done.set()

    def read() -> None:
        try:
            while not done.is_set():
                readers.repository.get(tally.id)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
            done.set()

    threads = [threading.Thread(target=read) for _ in range(4)]
    threads.append(threading.Thread(target=write))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    final: Tally = readers.repository.get(tally.id)
    assert len(final.counts) == 2000 + 150 * 50
