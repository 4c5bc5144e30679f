"""A small, realistic slice of the platform for the benchmarks.

NPOs register and are verified, they create offerings (programmes) and publish them,
candidates enroll, complete roadmap steps and finish or withdraw, and offerings close.
``workload`` generates exactly ``total`` events of that shape, grouped into large
``save`` calls so that setting up 100,000 events takes seconds, and interleaved so an
aggregate's events are spread over the log the way real traffic spreads them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from uuid import UUID, uuid4

from eventsourcing.domain import event

from commands.base import SpotlightApplication
from domain.base import SpotlightAggregate

OFFERINGS_PER_NPO = 5
ENROLLMENTS_PER_OFFERING = 10
ROADMAP_STEPS = 3
COHORTS_PER_SAVE = 4

COUNTRIES = ("GB", "IE", "FR", "DE", "NL", "ES", "PT", "KE", "NG", "IN")
PROGRAMMES = ("Data", "Cloud", "Design", "Product", "Security", "Support", "Sales")


class Npo(SpotlightAggregate):
    class Registered(SpotlightAggregate.Created):
        name: str
        country: str

    class Verified(SpotlightAggregate.Event):
        pass

    @event(Registered)
    def __init__(self, name: str, country: str) -> None:
        self.name = name
        self.country = country
        self.verified = False

    @event(Verified)
    def verify(self) -> None:
        self.verified = True


class Offering(SpotlightAggregate):
    class Offered(SpotlightAggregate.Created):
        npo_id: UUID
        title: str
        seats: int

    class Published(SpotlightAggregate.Event):
        pass

    class Closed(SpotlightAggregate.Event):
        pass

    @event(Offered)
    def __init__(self, npo_id: UUID, title: str, seats: int) -> None:
        self.npo_id = npo_id
        self.title = title
        self.seats = seats
        self.status = "draft"

    @event(Published)
    def publish(self) -> None:
        self.status = "published"

    @event(Closed)
    def close(self) -> None:
        self.status = "closed"


class Enrollment(SpotlightAggregate):
    class Enrolled(SpotlightAggregate.Created):
        offering_id: UUID
        candidate_id: UUID

    class StepCompleted(SpotlightAggregate.Event):
        step: int

    class Completed(SpotlightAggregate.Event):
        pass

    class Withdrew(SpotlightAggregate.Event):
        pass

    @event(Enrolled)
    def __init__(self, offering_id: UUID, candidate_id: UUID) -> None:
        self.offering_id = offering_id
        self.candidate_id = candidate_id
        self.step = 0
        self.status = "active"

    @event(StepCompleted)
    def complete_step(self, step: int) -> None:
        self.step = step

    @event(Completed)
    def complete(self) -> None:
        self.status = "completed"

    @event(Withdrew)
    def withdraw(self) -> None:
        self.status = "withdrawn"


class BenchPlatform(SpotlightApplication):
    name = "benchplatform"


@dataclass
class Expected:
    """What the views must show once every generated event is applied."""

    events: int = 0
    npos: int = 0
    verified: int = 0
    offerings: int = 0
    closed: int = 0
    enrollments: int = 0
    steps: int = 0
    completed: int = 0
    withdrawn: int = 0


@dataclass
class _Budget:
    left: int
    expected: Expected = field(default_factory=Expected)

    def take(self) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        self.expected.events += 1
        return True


def workload(
    total: int, seed: int = 7, cohorts_per_save: int = COHORTS_PER_SAVE
) -> tuple[Iterator[list[SpotlightAggregate]], Expected]:
    """Batches of aggregates to ``save``, holding exactly ``total`` new events.

    The returned ``Expected`` is filled in as the iterator is consumed.
    """
    budget = _Budget(total)
    return _batches(budget, random.Random(seed), cohorts_per_save), budget.expected


def _batches(
    budget: _Budget, rng: random.Random, cohorts_per_save: int
) -> Iterator[list[SpotlightAggregate]]:
    while budget.left > 0:
        npos: list[Npo] = []
        offerings: list[Offering] = []
        enrollments: list[Enrollment] = []
        for _ in range(cohorts_per_save):
            _cohort(budget, rng, npos, offerings, enrollments)
        yield [*npos, *offerings, *enrollments]
        # Candidates work through their roadmaps, one round of steps per save.
        for step in range(1, ROADMAP_STEPS + 1):
            progressed: list[SpotlightAggregate] = []
            for enrollment in enrollments:
                if not budget.take():
                    break
                enrollment.complete_step(step)
                budget.expected.steps += 1
                progressed.append(enrollment)
            if progressed:
                yield progressed
        finished = _finish(budget, rng, offerings, enrollments)
        if finished:
            yield finished


def _cohort(
    budget: _Budget,
    rng: random.Random,
    npos: list[Npo],
    offerings: list[Offering],
    enrollments: list[Enrollment],
) -> None:
    """An NPO registers and is verified, offers and publishes programmes; candidates
    enrol."""
    expected = budget.expected
    if not budget.take():
        return
    npo = Npo(f"NPO {rng.randrange(10**6):06d}", rng.choice(COUNTRIES))
    npos.append(npo)
    expected.npos += 1
    if budget.take():
        npo.verify()
        expected.verified += 1
    for _ in range(OFFERINGS_PER_NPO):
        if not budget.take():
            return
        title = f"{rng.choice(PROGRAMMES)} track {rng.randrange(100)}"
        offering = Offering(npo.id, title, rng.randrange(10, 40))
        offerings.append(offering)
        expected.offerings += 1
        if budget.take():
            offering.publish()
        for _ in range(ENROLLMENTS_PER_OFFERING):
            if not budget.take():
                return
            enrollments.append(Enrollment(offering.id, uuid4()))
            expected.enrollments += 1


def _finish(
    budget: _Budget,
    rng: random.Random,
    offerings: list[Offering],
    enrollments: list[Enrollment],
) -> list[SpotlightAggregate]:
    """Most candidates finish, some withdraw; then the offerings close."""
    expected = budget.expected
    finished: list[SpotlightAggregate] = []
    for enrollment in enrollments:
        if not budget.take():
            return finished
        if rng.random() < 0.8:
            enrollment.complete()
            expected.completed += 1
        else:
            enrollment.withdraw()
            expected.withdrawn += 1
        finished.append(enrollment)
    for offering in offerings:
        if not budget.take():
            return finished
        offering.close()
        expected.closed += 1
        finished.append(offering)
    return finished
