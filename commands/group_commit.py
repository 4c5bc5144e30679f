"""Group commit: the concurrent saves of one application share a transaction.

The event store appends under one table lock per transaction (that is how its
notification log stays gap-free: ids are given in commit order), so a transaction
per command caps an application's writes at one lock round trip each, however many
requests wait. Here every save is a ticket in a queue. A saver that finds no commit
in progress leads: it takes the tickets waiting (up to ``max_events`` events) and
inserts them in one transaction; saves that arrive meanwhile wait for the next one,
led by one of them. Nobody waits for a timer: an uncontended save commits at once.

A batch refused for a stale version (another writer saved one of its aggregates
first) is inserted again ticket by ticket, each in its own transaction, so only the
stale ticket fails and its command decides again; the others are recorded as if
they had been alone. Any other failure (the database unreachable) fails every ticket
of the batch, as it would have failed each of them.
"""

from __future__ import annotations

import copy
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from eventsourcing.persistence import IntegrityError, StoredEvent

# Enough to take a burst of requests in one transaction, small enough that one
# transaction never holds the table lock for long.
MAX_BATCH_EVENTS = 500

INTERRUPTED = "The save was interrupted; it may not have been recorded."

Insert = Callable[[Sequence[StoredEvent]], Sequence[int] | None]


@dataclass
class _Ticket:
    events: Sequence[StoredEvent]
    done: bool = False
    settled: bool = False  # recorded, or given its error
    notification_ids: Sequence[int] | None = None
    error: BaseException | None = None

    def record(self, notification_ids: Sequence[int] | None) -> None:
        self.notification_ids, self.settled = notification_ids, True

    def fail(self, error: BaseException) -> None:
        self.error, self.settled = error, True


class CommitInterruptedError(RuntimeError):
    """The saver committing this batch stopped before it knew the outcome."""


class GroupCommit:
    """One application's appends, committed together when they arrive together."""

    def __init__(self, insert: Insert, max_events: int = MAX_BATCH_EVENTS) -> None:
        self._insert = insert
        self._max_events = max_events
        self._waiting: deque[_Ticket] = deque()
        self._turn = threading.Condition()
        self._committing = False
        # What a newcomer reading the figures wants to know: how full batches are.
        self.transactions = 0
        self.saves = 0

    def append(self, events: Sequence[StoredEvent]) -> Sequence[int] | None:
        """Record ``events`` atomically; their notification ids, in order (``None``
        from a recorder that gives none). Raises what recording them alone would."""
        ticket = _Ticket(events)
        with self._turn:
            self._waiting.append(ticket)
        while True:
            with self._turn:
                while self._committing and not ticket.done:
                    self._turn.wait()
                if ticket.done:
                    break
                self._committing = True
                batch = self._next_batch()
            try:
                self._commit(batch)
            finally:
                with self._turn:
                    for each in batch:
                        if not each.settled:
                            each.fail(CommitInterruptedError(INTERRUPTED))
                        each.done = True
                    self._committing = False
                    self._turn.notify_all()
        if ticket.error is not None:
            raise _own_copy(ticket.error)
        return ticket.notification_ids

    def queued(self) -> int:
        """Saves waiting for the next transaction."""
        with self._turn:
            return len(self._waiting)

    def _next_batch(self) -> list[_Ticket]:
        batch = [self._waiting.popleft()]
        size = len(batch[0].events)
        while self._waiting and size + len(self._waiting[0].events) <= self._max_events:
            ticket = self._waiting.popleft()
            size += len(ticket.events)
            batch.append(ticket)
        return batch

    def _commit(self, batch: list[_Ticket]) -> None:
        self.transactions += 1
        self.saves += len(batch)
        try:
            ids = self._insert([event for t in batch for event in t.events])
        except IntegrityError as stale:
            if len(batch) == 1:
                batch[0].fail(stale)
                return
            for ticket in batch:  # find the stale one; the others are recorded
                self._commit_alone(ticket)
            return
        except Exception as failure:  # noqa: BLE001 - every ticket's outcome
            for ticket in batch:
                ticket.fail(failure)
            return
        start = 0
        for ticket in batch:
            end = start + len(ticket.events)
            ticket.record(None if ids is None else ids[start:end])
            start = end

    def _commit_alone(self, ticket: _Ticket) -> None:
        self.transactions += 1
        try:
            ticket.record(self._insert(ticket.events))
        except Exception as failure:  # noqa: BLE001 - it is this ticket's outcome
            ticket.fail(failure)


def _own_copy(error: BaseException) -> BaseException:
    """The error for one waiting saver: a batch's failure is raised in each of its
    savers' threads, and raising one exception object in several threads at once
    would tangle their tracebacks."""
    try:
        return copy.copy(error)
    except Exception:  # noqa: BLE001 - an exception that cannot be copied
        return error
