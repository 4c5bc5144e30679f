"""What readiness checks, each check shared by every caller and kept briefly.

Each check (a backend's ping, the views' state, the inbound consumers' lag) runs in
a thread of its own, one at a time: a caller that comes while it runs waits on the
same answer, never starts another. An answer is kept for ``fresh_seconds``. A caller
waits as long as it likes (``adapters.http.health`` waits 0.6 s in all) and a check
that has not answered by then goes on alone; its answer is kept for the next caller.

A projection or an inbound consumer is stalled when it is behind and its position
has not moved for ``stall_seconds``. Positions are read from the event store's
tracking tables and from Kafka's committed offsets, so this holds whether they run
in this process or in a worker.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from adapters.bootstrap import Container, inbound_subscriptions
from ports.health import Pingable
from projections.engine import FAILED, ProjectionStatus

T = TypeVar("T")

Clock = Callable[[], float]


class SharedCheck(Generic[T]):
    """``check`` run once at a time in a thread of its own; its answer kept for
    ``fresh_seconds`` after it came."""

    def __init__(
        self,
        name: str,
        check: Callable[[], T],
        *,
        fresh_seconds: float = 1.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self.name = name
        self._check = check
        self._fresh_seconds = fresh_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._running: Future[T] | None = None
        self._answer: Future[T] | None = None
        self._answered_at = 0.0

    def answer(self) -> Future[T]:
        """The kept answer while fresh, else the one on its way (started if none)."""
        with self._lock:
            kept = self._answer
            if kept is not None and (
                self._clock() - self._answered_at < self._fresh_seconds
            ):
                return kept
            if self._running is not None:
                return self._running
            future: Future[T] = Future()
            # Running: a waiter that gives up cannot cancel it for the others.
            future.set_running_or_notify_cancel()
            self._running = future
        threading.Thread(
            target=self._run, args=(future,), name=f"ready-{self.name}", daemon=True
        ).start()
        return future

    def _run(self, future: Future[T]) -> None:
        try:
            result = self._check()
        except BaseException as error:  # noqa: BLE001 - a waiter reads it
            self._settle(future)
            future.set_exception(error)
            return
        self._settle(future)
        future.set_result(result)

    def _settle(self, future: Future[T]) -> None:
        with self._lock:
            self._running = None
            self._answer = future
            self._answered_at = self._clock()


@dataclass(frozen=True)
class BackendAnswer:
    up: bool
    error: str | None = None


def ping(backend: Pingable) -> BackendAnswer:
    try:
        backend.ping()
    except Exception as error:  # noqa: BLE001 - any failure means "down"
        return BackendAnswer(False, type(error).__name__)
    return BackendAnswer(True)


class StillWatch:
    """How long each watched thing has been behind at the same position."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._since: dict[Hashable, tuple[int, float]] = {}

    def still_for(self, key: Hashable, position: int, *, behind: bool) -> float:
        """Seconds ``key`` has been behind at ``position`` (0 when it is not behind
        or has just moved)."""
        now = self._clock()
        with self._lock:
            if not behind:
                self._since.pop(key, None)
                return 0.0
            seen = self._since.get(key)
            if seen is None or seen[0] != position:
                self._since[key] = (position, now)
                return 0.0
            return now - seen[1]


class StatusSource(Protocol):
    """What the views' check reads (``ProjectionEngine.status``)."""

    def status(self, *, probe_workers: bool = True) -> list[ProjectionStatus]: ...


@dataclass(frozen=True)
class FailedView:
    projection: str
    failed_at: str | None
    error: str | None


@dataclass(frozen=True)
class StalledView:
    projection: str
    source: str
    position: int
    head: int
    still_seconds: float


@dataclass(frozen=True)
class ViewsAnswer:
    failed: tuple[FailedView, ...] = ()
    stalled: tuple[StalledView, ...] = ()
    # Why the views' state could not be read (the error's type).
    error: str | None = None


def check_views(
    engine: StatusSource, watch: StillWatch, stall_seconds: float
) -> ViewsAnswer:
    """FAILED projections, and those behind whose position has not moved."""
    try:
        statuses = engine.status(probe_workers=False)
    except Exception as error:  # noqa: BLE001 - reported, not raised
        return ViewsAnswer(error=type(error).__name__)
    failed = []
    stalled = []
    for status in statuses:
        if status.state == FAILED:
            failed.append(FailedView(status.name, status.failed_at, status.last_error))
            continue
        for source in status.sources:
            still = watch.still_for(
                ("projection", status.name, source.source),
                source.position,
                behind=source.lag > 0,
            )
            if still >= stall_seconds:
                stalled.append(
                    StalledView(
                        status.name,
                        source.source,
                        source.position,
                        source.head,
                        round(still, 1),
                    )
                )
    return ViewsAnswer(tuple(failed), tuple(stalled))


@dataclass(frozen=True)
class ConsumerAnswer:
    name: str
    group_id: str
    # Messages after the group's committed offsets; None when Kafka did not say.
    lag: int | None
    # Why it is not ready (stopped here, or stalled), or why its lag is unknown.
    problem: str | None = None
    unknown: str | None = None


def check_consumers(
    container: Container, watch: StillWatch, stall_seconds: float
) -> tuple[ConsumerAnswer, ...]:
    """Each inbound consumer the deployment runs: its lag from the broker and
    whether its committed offsets still move; those in this process, whether
    their loop runs."""
    answers = []
    for subscription in inbound_subscriptions(container):
        here = container.consumers.get(subscription.name)
        # Its loop ended or is ending (stopping while still listed).
        if here is not None and (here.stopping or not here.stats.running):
            answers.append(
                ConsumerAnswer(
                    subscription.name, subscription.group_id, None, "not running"
                )
            )
            continue
        try:
            lags = container.bus.consumer_lag(
                subscription.group_id, subscription.topics
            )
        except Exception as error:  # noqa: BLE001 - reported, not raised
            answers.append(
                ConsumerAnswer(
                    subscription.name,
                    subscription.group_id,
                    None,
                    unknown=type(error).__name__,
                )
            )
            continue
        problem = None
        for lag in lags:
            still = watch.still_for(
                ("consumer", subscription.group_id, lag.topic),
                -1 if lag.committed is None else lag.committed,
                behind=lag.lag > 0,
            )
            if still >= stall_seconds:
                problem = (
                    f"stalled: {lag.lag} message(s) behind on {lag.topic}, "
                    f"no progress for {still:.0f} s"
                )
        answers.append(
            ConsumerAnswer(
                subscription.name,
                subscription.group_id,
                sum(lag.lag for lag in lags),
                problem,
            )
        )
    return tuple(answers)


class ReadinessChecks:
    """Every check readiness makes of one container, shared between callers."""

    def __init__(
        self,
        container: Container,
        *,
        fresh_seconds: float = 1.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self._container = container
        self._fresh_seconds = fresh_seconds
        self._clock = clock
        stall = container.settings.readiness_stall_seconds
        watch = StillWatch(clock)
        self.views = self._shared(
            "views", lambda: check_views(container.engine, watch, stall)
        )
        self.consumers = self._shared(
            "consumers", lambda: check_consumers(container, watch, stall)
        )
        self._backends: dict[str, SharedCheck[BackendAnswer]] = {}
        self._lock = threading.Lock()

    def backends(self) -> dict[str, SharedCheck[BackendAnswer]]:
        """One check per configured backend, in the container's order."""
        with self._lock:
            for name, backend in self._container.backends.items():
                if name not in self._backends:
                    self._backends[name] = self._shared(
                        f"backend-{name}", functools.partial(ping, backend)
                    )
            return {name: self._backends[name] for name in self._container.backends}

    def _shared(self, name: str, check: Callable[[], T]) -> SharedCheck[T]:
        return SharedCheck(
            name, check, fresh_seconds=self._fresh_seconds, clock=self._clock
        )
