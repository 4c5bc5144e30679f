"""Worker locks: one holder per projection name."""

from __future__ import annotations

from pathlib import Path

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
