"""Failing fast while a backend is down: one circuit breaker per backend.

A breaker is **closed** while its backend answers. The first failure to reach the
backend (as its adapter judges: no connection to be had, after the driver's own
retry) **opens** it for a cool-down (``cooldown_seconds``, 1 s by default): every
call then fails at once with ``BackendUnavailableError`` instead of waiting on a
pool or a socket. When the cool-down is over the breaker is **half-open**: one call
at a time goes through as a trial (the other calls still fail at once). A trial that
succeeds closes the breaker; one that fails opens it again for twice as long, up to
``max_cooldown_seconds`` (5 s). A call the backend answers with any other error
(a duplicate key, a refused statement) counts as a success: the backend is there.

``OUTAGE_ANSWER_BOUND_SECONDS`` is the promise the timeouts in ``adapters.settings``
are chosen to keep: while a backend is down (it refuses connections, or accepts none
within its connect timeout), every request that needs it is answered 503 within that
bound, and far faster once its breaker is open.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum

from ports.errors import BackendUnavailableError, is_outage

# While a backend is down, a request that needs it is answered (503) within this.
OUTAGE_ANSWER_BOUND_SECONDS = 3.0

DEFAULT_COOLDOWN_SECONDS = 1.0
DEFAULT_MAX_COOLDOWN_SECONDS = 5.0


def _caller() -> int:
    """Who is calling: the asyncio task on an event loop (its coroutines share one
    thread), else the thread."""
    try:
        task = asyncio.current_task()
    except RuntimeError:  # no event loop running in this thread
        task = None
    return id(task) if task is not None else threading.get_ident()


class BreakerState(Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class CircuitBreaker:
    """Fails calls to ``backend`` at once while it is known to be down. Thread-safe,
    and safe for the tasks of an event loop (a trial is one thread's, or one task's).

    Wrap each call to the backend in ``with breaker.call(is_failure):``; a failure
    ``is_failure`` recognises is raised as ``BackendUnavailableError`` naming the
    backend (from the driver's error). A thread making a trial may nest further
    calls (a view transaction reading events, say): they belong to the trial.
    """

    def __init__(
        self,
        backend: str,
        *,
        cooldown_seconds: float = DEFAULT_COOLDOWN_SECONDS,
        max_cooldown_seconds: float = DEFAULT_MAX_COOLDOWN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if cooldown_seconds <= 0 or max_cooldown_seconds < cooldown_seconds:
            raise ValueError("need 0 < cooldown_seconds <= max_cooldown_seconds")
        self.backend = backend
        self._base = cooldown_seconds
        self._cap = max_cooldown_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._cooldown = cooldown_seconds
        self._open_until = 0.0
        self._trial_thread: int | None = None
        self._trial_depth = 0
        self.opened = 0  # how many times it opened (tests, diagnostics)

    # -- what callers see ------------------------------------------------------------

    @property
    def state(self) -> BreakerState:
        with self._lock:
            if self._state is BreakerState.OPEN and self._clock() >= self._open_until:
                return BreakerState.HALF_OPEN  # the next call is a trial
            return self._state

    def retry_after(self) -> float:
        """Seconds until a call may go through again (0 when closed)."""
        with self._lock:
            if self._state is BreakerState.CLOSED:
                return 0.0
            if self._state is BreakerState.HALF_OPEN:
                return self._cooldown  # a trial is under way; it may fail
            return max(0.0, self._open_until - self._clock())

    @contextmanager
    def call(
        self, is_failure: Callable[[BaseException], bool] = is_outage
    ) -> Iterator[None]:
        """One call to the backend: refused at once while open; its outcome counts."""
        trial = self._admit()
        try:
            yield
        except Exception as error:
            failed = is_failure(error)
            self._settle(trial, failed=failed)
            if failed and not isinstance(error, BackendUnavailableError):
                raise BackendUnavailableError(
                    f"{self.backend}: {error}", backend=self.backend
                ) from error
            raise
        except BaseException:  # cancelled, interrupted: says nothing of the backend
            self._settle(trial, failed=None)
            raise
        else:
            self._settle(trial, failed=False)

    # -- the state machine -------------------------------------------------------------

    def _admit(self) -> bool:
        """Let a call through (True if it is, or belongs to, the trial) or refuse."""
        with self._lock:
            me = _caller()
            if self._state is BreakerState.CLOSED:
                return False
            if self._state is BreakerState.HALF_OPEN and self._trial_thread == me:
                self._trial_depth += 1
                return True
            if self._state is BreakerState.OPEN and self._clock() >= self._open_until:
                self._state = BreakerState.HALF_OPEN
                self._trial_thread = me
                self._trial_depth = 1
                return True
        raise BackendUnavailableError(
            f"{self.backend}: unavailable (circuit open)", backend=self.backend
        )

    def _settle(self, trial: bool, *, failed: bool | None) -> None:
        with self._lock:
            if failed:
                if self._state is BreakerState.CLOSED:
                    self._open(self._base)
                elif self._state is BreakerState.HALF_OPEN and trial:
                    self._open(min(self._cooldown * 2, self._cap))
                # Open already: a call started before it opened; nothing to add.
                return
            if not (trial and self._state is BreakerState.HALF_OPEN):
                return  # closed stays closed; an open breaker waits for its trial
            self._trial_depth -= 1
            if self._trial_depth > 0:
                return  # a nested call of the trial; the outermost decides
            if failed is None:  # the trial was abandoned: let the next call try
                self._state = BreakerState.OPEN
                self._open_until = self._clock()
            else:
                self._state = BreakerState.CLOSED
                self._cooldown = self._base
            self._trial_thread = None

    def _open(self, cooldown: float) -> None:
        self._state = BreakerState.OPEN
        self._cooldown = cooldown
        self._open_until = self._clock() + cooldown
        self._trial_thread = None
        self._trial_depth = 0
        self.opened += 1


class Breakers:
    """The breakers of one process (one container), by backend name, each made on
    first ask. Every PostgreSQL client of a container (event store, views, identity
    tables, readiness) talks to one server, so they share the ``postgres`` breaker.
    """

    def __init__(
        self,
        *,
        cooldown_seconds: float = DEFAULT_COOLDOWN_SECONDS,
        max_cooldown_seconds: float = DEFAULT_MAX_COOLDOWN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cooldown = cooldown_seconds
        self._max_cooldown = max_cooldown_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._breakers: dict[str, CircuitBreaker] = {}

    def __call__(self, backend: str) -> CircuitBreaker:
        with self._lock:
            found = self._breakers.get(backend)
            if found is None:
                found = self._breakers[backend] = CircuitBreaker(
                    backend,
                    cooldown_seconds=self._cooldown,
                    max_cooldown_seconds=self._max_cooldown,
                    clock=self._clock,
                )
            return found

    def retry_after(self, backend: str) -> int:
        """Whole seconds a client should wait before trying ``backend`` again: what
        is left of its breaker's cool-down, at least 1."""
        with self._lock:
            found = self._breakers.get(backend)
        left = found.retry_after() if found is not None else 0.0
        return max(1, math.ceil(left))
