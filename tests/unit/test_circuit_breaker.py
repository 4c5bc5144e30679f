"""A circuit breaker per backend: closed, open for a cool-down, one trial at a time."""

from __future__ import annotations

import threading

import anyio
import pytest

from adapters.resilience import Breakers, BreakerState, CircuitBreaker
from ports.errors import BackendUnavailableError


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class DriverError(Exception):
    """What a driver raises when it cannot connect."""


def refused(error: BaseException) -> bool:
    return isinstance(error, DriverError)


def state(breaker: CircuitBreaker) -> BreakerState:
    # A call, so the type checker does not carry one state over to the next.
    return breaker.state


def fail(breaker: CircuitBreaker) -> BackendUnavailableError:
    with pytest.raises(BackendUnavailableError) as raised, breaker.call(refused):
        raise DriverError("connection refused to ada@example.org")
    return raised.value


def succeed(breaker: CircuitBreaker) -> None:
    with breaker.call(refused):
        pass


def refused_at_once(breaker: CircuitBreaker) -> bool:
    calls: list[str] = []
    with pytest.raises(BackendUnavailableError), breaker.call(refused):
        calls.append("went through")
    return not calls


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def breaker(clock: Clock) -> CircuitBreaker:
    return CircuitBreaker(
        "redis", cooldown_seconds=1.0, max_cooldown_seconds=5.0, clock=clock
    )


def test_a_failure_opens_it_and_calls_then_fail_at_once(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    # Check calls go through while the backend answers.
    succeed(breaker)
    assert state(breaker) is BreakerState.CLOSED
    assert breaker.retry_after() == 0

    # Check the driver's error leaves as the port's, naming the backend.
    error = fail(breaker)
    assert error.backend == "redis"
    assert isinstance(error.__cause__, DriverError)
    assert state(breaker) is BreakerState.OPEN
    assert breaker.retry_after() == pytest.approx(1.0)

    # Check calls now fail without reaching the backend, for the cool-down.
    clock.advance(0.6)
    assert refused_at_once(breaker)
    assert breaker.retry_after() == pytest.approx(0.4)


def test_after_the_cool_down_one_trial_closes_it(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    fail(breaker)
    clock.advance(1.0)
    assert state(breaker) is BreakerState.HALF_OPEN

    succeed(breaker)

    assert state(breaker) is BreakerState.CLOSED
    succeed(breaker)


def test_failed_trials_double_the_cool_down_up_to_the_cap(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    fail(breaker)
    cooldowns = []
    for _ in range(5):
        clock.advance(breaker.retry_after())
        fail(breaker)  # the trial
        cooldowns.append(breaker.retry_after())
    assert cooldowns == [2.0, 4.0, 5.0, 5.0, 5.0]

    # Check a success starts again from the shortest cool-down.
    clock.advance(5.0)
    succeed(breaker)
    fail(breaker)
    assert breaker.retry_after() == 1.0


def test_errors_the_backend_answered_count_as_successes(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    # A refused statement, a duplicate key: the backend is there.
    with pytest.raises(KeyError), breaker.call(refused):
        raise KeyError("duplicate")
    assert state(breaker) is BreakerState.CLOSED

    fail(breaker)
    clock.advance(1.0)
    with pytest.raises(KeyError), breaker.call(refused):
        raise KeyError("duplicate")  # the trial reached the backend
    assert state(breaker) is BreakerState.CLOSED


def test_only_one_trial_at_a_time(breaker: CircuitBreaker, clock: Clock) -> None:
    fail(breaker)
    clock.advance(1.0)
    in_trial = threading.Event()
    release = threading.Event()

    def trial() -> None:
        with breaker.call(refused):
            in_trial.set()
            release.wait(5)

    thread = threading.Thread(target=trial)
    thread.start()
    assert in_trial.wait(5)
    # Check other threads fail at once while the trial is under way.
    assert refused_at_once(breaker)
    assert breaker.retry_after() == 1.0
    release.set()
    thread.join(5)
    assert state(breaker) is BreakerState.CLOSED


def test_only_one_trial_at_a_time_among_an_event_loops_tasks(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    # The tasks of one event loop share its thread: the trial is a task's.
    fail(breaker)
    clock.advance(1.0)
    outcomes: list[str] = []

    async def trial(in_trial: anyio.Event, release: anyio.Event) -> None:
        with breaker.call(refused):
            in_trial.set()
            await release.wait()
            with breaker.call(refused):  # nested in the trial: belongs to it
                outcomes.append("nested call went through")

    async def main() -> None:
        in_trial, release = anyio.Event(), anyio.Event()
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(trial, in_trial, release)
            await in_trial.wait()
            # Check another task fails at once while the trial is under way.
            if refused_at_once(breaker):
                outcomes.append("other task refused")
            release.set()

    anyio.run(main)
    assert outcomes == ["other task refused", "nested call went through"]
    assert state(breaker) is BreakerState.CLOSED


def test_calls_nested_in_the_trial_belong_to_it(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    # A view transaction that reads events: both go to the same server.
    fail(breaker)
    clock.advance(1.0)
    with breaker.call(refused):
        succeed(breaker)
        assert state(breaker) is BreakerState.HALF_OPEN  # the outer call decides
    assert state(breaker) is BreakerState.CLOSED


def test_a_failure_nested_in_the_trial_reopens_it_once(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    fail(breaker)
    clock.advance(1.0)
    with (
        pytest.raises(BackendUnavailableError),
        breaker.call(refused),
        breaker.call(refused),
    ):
        raise DriverError("down")
    assert state(breaker) is BreakerState.OPEN
    assert breaker.retry_after() == 2.0
    assert breaker.opened == 2


def test_an_abandoned_trial_lets_the_next_call_try(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    fail(breaker)
    clock.advance(1.0)
    with pytest.raises(KeyboardInterrupt), breaker.call(refused):
        raise KeyboardInterrupt
    assert state(breaker) is BreakerState.HALF_OPEN
    succeed(breaker)
    assert state(breaker) is BreakerState.CLOSED


def test_late_outcomes_of_calls_begun_before_it_opened_change_nothing(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    # Check a call begun while closed does not close it by succeeding late...
    with breaker.call(refused):
        fail(breaker)  # meanwhile another call found the backend down
    assert state(breaker) is BreakerState.OPEN

    # ...nor lengthen the cool-down by failing late.
    clock.advance(2.0)
    succeed(breaker)

    def call_failing_late() -> None:
        with breaker.call(refused):
            fail(breaker)
            clock.advance(0.5)
            raise DriverError("down")

    with pytest.raises(BackendUnavailableError):
        call_failing_late()
    assert breaker.retry_after() == pytest.approx(0.5)


def test_it_is_safe_under_many_threads(breaker: CircuitBreaker) -> None:
    outcomes: list[str] = []
    lock = threading.Lock()

    def call(index: int) -> None:
        try:
            with breaker.call(refused):
                if index % 3 == 0:
                    raise DriverError("down")
            outcome = "ok"
        except BackendUnavailableError:
            outcome = "unavailable"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(60)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert len(outcomes) == 60
    assert "unavailable" in outcomes
    assert state(breaker) in {BreakerState.OPEN, BreakerState.HALF_OPEN}


def test_a_cap_below_the_cool_down_is_refused() -> None:
    with pytest.raises(ValueError, match="cooldown"):
        CircuitBreaker("s3", cooldown_seconds=2, max_cooldown_seconds=1)


def test_breakers_are_one_per_backend_and_say_when_to_retry(clock: Clock) -> None:
    breakers = Breakers(cooldown_seconds=1.0, max_cooldown_seconds=5.0, clock=clock)
    assert breakers("postgres") is breakers("postgres")
    assert breakers("postgres") is not breakers("mongodb")
    # Check Retry-After is whole seconds, at least 1, for any backend.
    assert breakers.retry_after("postgres") == 1
    assert breakers.retry_after("event store") == 1
    fail(breakers("postgres"))
    clock.advance(1.0)
    fail(breakers("postgres"))  # a failed trial: 2 s
    clock.advance(0.5)
    assert breakers.retry_after("postgres") == 2
    assert state(breakers("postgres")) is BreakerState.OPEN
    assert state(breakers("mongodb")) is BreakerState.CLOSED
