"""Worker locks: one holder per projection name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adapters.embedded.locks import FileWorkerLock
from projections.engine import ProcessLocalLock, WorkerLock


def check_one_holder(first: WorkerLock, second: WorkerLock) -> None:
    assert first.try_acquire("users") is True
    assert second.try_acquire("users") is False
    assert second.try_acquire("offerings") is True
    first.release("users")
    assert second.try_acquire("users") is True


def test_file_locks_exclude_another_holder(tmp_path: Path) -> None:
    # Two lock objects stand for two processes sharing the same var/ directory.
    check_one_holder(FileWorkerLock(tmp_path), FileWorkerLock(tmp_path))


def test_process_local_lock_excludes_a_second_runner() -> None:
    lock = ProcessLocalLock()
    check_one_holder(lock, lock)


def check_holder_knows_it_holds(lock: WorkerLock) -> None:
    # Embedded locks are never taken away: each answers from its own state.
    session: Any = object()  # not asked
    assert lock.holds("users", session) is False
    assert lock.is_alive("users") is False
    assert lock.try_acquire("users") is True
    assert lock.holds("users", session) is True
    assert lock.is_alive("users") is True
    lock.release("users")
    assert lock.holds("users", session) is False


def test_file_locks_say_whether_they_are_held(tmp_path: Path) -> None:
    check_holder_knows_it_holds(FileWorkerLock(tmp_path))


def test_process_local_locks_say_whether_they_are_held() -> None:
    check_holder_knows_it_holds(ProcessLocalLock())
