"""Group commit and aggregate turns: saves arriving together share a transaction, a
stale save in a batch fails alone, and commands on one aggregate take turns."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import partial
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.popo import POPOApplicationRecorder

from commands.aggregate_turns import TurnTimedOutError
from commands.group_commit import GroupCommit
from tests.support.concurrency import HeldFirstInsert, in_threads, when
from tests.support.notes import Note, Notebook

POPO = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


def stored(originator_id: UUID, version: int) -> StoredEvent:
    return StoredEvent(
        originator_id=originator_id,
        originator_version=version,
        topic="test:Event",
        state=b"{}",
    )


def a_commit_held(
    recorder: POPOApplicationRecorder | None = None,
) -> tuple[POPOApplicationRecorder, HeldFirstInsert, GroupCommit, threading.Thread]:
    """A group commit whose first transaction (one save, in its own thread) is held
    until ``insert.release`` is set."""
    recorder = recorder or POPOApplicationRecorder()
    insert = HeldFirstInsert(recorder.insert_events)
    commit = GroupCommit(insert)
    first = threading.Thread(target=commit.append, args=([stored(uuid4(), 1)],))
    first.start()
    assert insert.entered.wait(10)
    return recorder, insert, commit, first


def test_saves_arriving_during_a_commit_share_the_next_transaction() -> None:
    recorder, insert, commit, first = a_commit_held()
    ids = [uuid4() for _ in range(20)]
    threads = [
        threading.Thread(target=commit.append, args=([stored(i, 1), stored(i, 2)],))
        for i in ids
    ]
    for thread in threads:
        thread.start()
    when(lambda: commit.queued() == 20)
    insert.release.set()
    first.join(10)
    for thread in threads:
        thread.join(10)

    # Check the first save committed alone, and the twenty waiting in one transaction.
    assert insert.transactions == [1, 40]
    assert (commit.transactions, commit.saves) == (2, 21)
    # Check every event is in the log once, each save's events together and in order.
    log = recorder.select_notifications(start=1, limit=100)
    assert len(log) == 41
    assert [n.id for n in log] == list(range(1, 42))
    for later, earlier in zip(log[2::2], log[1::2], strict=True):
        assert later.originator_id == earlier.originator_id
        assert (earlier.originator_version, later.originator_version) == (1, 2)


def test_each_save_learns_its_own_positions() -> None:
    recorder, insert, commit, first = a_commit_held()
    sizes = [1, 3, 2]
    ids = [uuid4() for _ in sizes]
    calls = [
        (lambda i=i, n=n: commit.append([stored(i, v) for v in range(1, n + 1)]))
        for i, n in zip(ids, sizes, strict=True)
    ]
    results: list[object] = []
    runner = threading.Thread(target=lambda: results.extend(in_threads(calls)))
    runner.start()
    when(lambda: commit.queued() == 3)
    insert.release.set()
    runner.join(10)
    first.join(10)

    # Check each save got the notification ids of its own events.
    log = {n.id: n.originator_id for n in recorder.select_notifications(1, 100)}
    for originator, size, positions in zip(ids, sizes, results, strict=True):
        assert isinstance(positions, list)
        assert len(positions) == size
        assert {log[p] for p in positions} == {originator}


def test_a_stale_save_in_a_batch_fails_alone() -> None:
    recorder = POPOApplicationRecorder()
    taken = uuid4()
    recorder.insert_events([stored(taken, 1)])  # another writer got there first
    recorder, insert, commit, first = a_commit_held(recorder)
    fresh = [uuid4() for _ in range(5)]
    saves = [[stored(i, 1)] for i in fresh[:2]]
    saves.append([stored(taken, 1)])
    saves += [[stored(i, 1)] for i in fresh[2:]]
    calls = [partial(commit.append, events) for events in saves]
    results: list[object] = []
    runner = threading.Thread(target=lambda: results.extend(in_threads(calls)))
    runner.start()
    when(lambda: commit.queued() == 6)
    insert.release.set()
    runner.join(10)
    first.join(10)

    # Check the stale save, and only it, was refused.
    assert isinstance(results[2], IntegrityError)
    assert all(
        isinstance(r, list) and len(r) == 1 for i, r in enumerate(results) if i != 2
    )
    recorded = {n.originator_id for n in recorder.select_notifications(1, 100)}
    assert set(fresh) <= recorded
    assert len(recorder.select_events(taken)) == 1
    # Check the batch was tried once, then each of its saves alone.
    assert insert.transactions == [1, 6, 1, 1, 1, 1, 1, 1]


def test_a_failed_transaction_fails_every_save_in_it_and_the_next_one_commits() -> None:
    recorder = POPOApplicationRecorder()
    down = threading.Event()
    down.set()

    def insert(events: Sequence[StoredEvent]) -> Any:
        if down.is_set():
            raise ConnectionError("the database is unreachable")
        return recorder.insert_events(events)

    commit = GroupCommit(insert)
    with pytest.raises(ConnectionError):
        commit.append([stored(uuid4(), 1)])
    down.clear()
    assert commit.append([stored(uuid4(), 1)]) == [1]


def notebook() -> Notebook:
    return Notebook(env=POPO)


def edit_note(app: Notebook, note_id: UUID, text: str, stale: list[int]) -> object:
    def decide() -> list[Note]:
        note: Note = app.repository.get(note_id)
        note.edit(note.text + text)
        return [note]

    save_changes = app.save_changes

    def counting(*aggregates: Any) -> Any:
        try:
            return save_changes(*aggregates)
        except IntegrityError:
            stale.append(1)
            raise

    app.save_changes = counting  # type: ignore[method-assign]
    return app.execute(decide)


def test_thirty_two_commands_on_one_aggregate_take_turns_and_none_is_refused() -> None:
    app = notebook()
    note = Note(author="a", text="")
    app.save(note)
    stale: list[int] = []

    outcomes = in_threads(
        [partial(edit_note, app, note.id, f"{n},", stale) for n in range(32)]
    )

    # Check no command was refused or even decided on a stale version.
    assert not [o for o in outcomes if isinstance(o, Exception)]
    assert stale == []
    saved: Note = app.repository.get(note.id)
    assert saved.version == 33
    assert sorted(int(n) for n in saved.text.strip(",").split(",")) == list(range(32))


def test_commands_taking_two_aggregates_in_opposite_orders_both_complete() -> None:
    app = notebook()
    first, second = Note(author="a", text=""), Note(author="b", text="")
    app.save(first, second)
    loaded = threading.Barrier(2, timeout=10)

    def both_in(order: tuple[UUID, UUID], mark: str) -> object:
        waited = False

        def decide() -> list[Note]:
            nonlocal waited
            one: Note = app.repository.get(order[0])
            if not waited:  # both hold their first note before taking the other
                waited = True
                loaded.wait()
            other: Note = app.repository.get(order[1])
            one.edit(one.text + mark)
            other.edit(other.text + mark)
            return [one, other]

        return app.execute(decide)

    outcomes = in_threads(
        [
            lambda: both_in((first.id, second.id), "x"),
            lambda: both_in((second.id, first.id), "y"),
        ]
    )

    assert not [o for o in outcomes if isinstance(o, Exception)]
    for note_id in (first.id, second.id):
        note: Note = app.repository.get(note_id)
        assert sorted(note.text) == ["x", "y"]
        assert note.version == 3


def test_a_command_gives_up_when_its_aggregate_stays_busy() -> None:
    app = notebook()
    app.aggregate_turns.timeout_seconds = 0.05
    note = Note(author="a", text="")
    app.save(note)
    holding, release = threading.Event(), threading.Event()

    def slow() -> list[Note]:
        held: Note = app.repository.get(note.id)
        holding.set()
        release.wait(10)
        held.edit("slow")
        return [held]

    slow_one = threading.Thread(target=app.execute, args=(slow,))
    slow_one.start()
    holding.wait(10)
    try:
        with pytest.raises(TurnTimedOutError, match="busy"):
            edit_note(app, note.id, "fast", [])
    finally:
        release.set()
        slow_one.join(10)
    # Check the turn is given back: the next command goes through.
    edit_note(app, note.id, "+", [])
    saved: Note = app.repository.get(note.id)
    assert saved.text == "slow+"
    assert app.aggregate_turns.busy() == 0
