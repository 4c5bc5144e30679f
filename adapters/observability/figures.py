"""Figures read from the backends when ``/metrics`` is scraped.

- ``spotlight_projection_lag_events`` and ``spotlight_projection_lag_seconds`` per
  projection and source: events recorded but not yet applied, and how long ago the
  oldest of them was recorded (0 when none is waiting; left out when that event
  cannot be read);
- ``spotlight_consumer_lag_messages`` per inbound consumer and topic: messages after
  the group's committed offsets, as the broker has them;
- ``spotlight_timers_due``: roadmap reminders due and not yet sent;
- ``spotlight_waiting_queue_length`` per queue: candidates waiting for a mentor
  (``mentor``), NPOs waiting for a community leader (``leader``).

Each source is read by a ``SharedCheck`` (``adapters.readiness``): in a thread of
its own, once at a time, its answer kept ``metrics_fresh_seconds``. A scrape waits
for all of them together ``metrics_source_timeout_seconds`` at most; a source that
failed or did not answer in time leaves its figures out and says so in
``spotlight_metric_source_up{source=…} 0``, so a scrape is never a 500 and never
hangs while a backend is down.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from adapters.readiness import SharedCheck
from adapters.reminders import system_clock
from commands.base import SpotlightApplication
from projections.careers.timers import DueTimers
from projections.engine import ProjectionStatus
from queries.careers.mentors import mentor_queue_length
from queries.onboarding.communities import leader_queue_length

if TYPE_CHECKING:
    from adapters.bootstrap import Container

Samples = list[tuple[dict[str, str], float]]


@dataclass(frozen=True)
class Figures:
    """What one source read: samples per metric name."""

    samples: Mapping[str, Samples]


HELP = {
    "spotlight_projection_lag_events": (
        "Events recorded and not yet applied, per projection and source."
    ),
    "spotlight_projection_lag_seconds": (
        "Age of the oldest event not yet applied, per projection and source."
    ),
    "spotlight_consumer_lag_messages": (
        "Messages after the consumer group's committed offsets, per topic."
    ),
    "spotlight_timers_due": "Roadmap reminder timers due and not yet handled.",
    "spotlight_waiting_queue_length": (
        "Who waits to be assigned: candidates for a mentor, NPOs for a leader."
    ),
}


class RecordedAt:
    """When an application recorded the event at a position (kept: it never
    changes)."""

    def __init__(self, applications: Mapping[str, SpotlightApplication]) -> None:
        self._applications = applications
        self._known: dict[tuple[str, int], float] = {}

    def __call__(self, source: str, position: int) -> float | None:
        key = (source, position)
        if key not in self._known:
            app = self._applications[source]
            found = app.recorder.select_notifications(start=position, limit=1)
            if not found or found[0].id != position:
                return None
            try:
                event: Any = app.mapper.to_domain_event(found[0])
            except Exception:  # noqa: BLE001 - e.g. an erased person's sealed event
                return None
            timestamp = getattr(event, "timestamp", None)
            if not isinstance(timestamp, datetime):
                return None
            if len(self._known) > 10_000:
                self._known.clear()
            self._known[key] = timestamp.timestamp()
        return self._known[key]


def projection_figures(
    statuses: Iterable[ProjectionStatus],
    recorded_at: Callable[[str, int], float | None],
    now: float,
) -> Figures:
    events: Samples = []
    seconds: Samples = []
    for status in statuses:
        for source in status.sources:
            labels = {"projection": status.name, "source": source.source}
            events.append((labels, float(source.lag)))
            if not source.lag:
                seconds.append((labels, 0.0))
                continue
            at = recorded_at(source.source, source.position + 1)
            if at is not None:  # else unknown: left out rather than a made-up 0
                seconds.append((labels, max(0.0, now - at)))
    return Figures(
        {
            "spotlight_projection_lag_events": events,
            "spotlight_projection_lag_seconds": seconds,
        }
    )


def _projections(container: Container, recorded_at: RecordedAt) -> Figures:
    return projection_figures(
        container.engine.status(probe_workers=False), recorded_at, time.time()
    )


def _consumers(container: Container) -> Figures:
    from adapters.bootstrap import inbound_subscriptions

    samples: Samples = []
    for subscription in inbound_subscriptions(container):
        for lag in container.bus.consumer_lag(
            subscription.group_id, subscription.topics
        ):
            labels = {"consumer": subscription.name, "topic": lag.topic}
            samples.append((labels, float(lag.lag)))
    return Figures({"spotlight_consumer_lag_messages": samples})


def _timers(container: Container) -> Figures:
    now = system_clock(container.settings.reminders_clock_offset_seconds)()
    with container.views.transaction() as session:
        due = DueTimers.count_due(session, now)
    return Figures({"spotlight_timers_due": [({}, float(due))]})


def _queues(container: Container) -> Figures:
    return Figures(
        {
            "spotlight_waiting_queue_length": [
                ({"queue": "mentor"}, float(mentor_queue_length(container.views))),
                ({"queue": "leader"}, float(leader_queue_length(container.views))),
            ]
        }
    )


class BackendFigures(Collector):
    """The scrape-time figures of one container's process (see the module)."""

    def __init__(
        self,
        sources: Mapping[str, Callable[[], Figures]],
        *,
        timeout_seconds: float,
        fresh_seconds: float,
    ) -> None:
        self._timeout_seconds = timeout_seconds
        self._checks = {
            name: SharedCheck(f"metrics-{name}", read, fresh_seconds=fresh_seconds)
            for name, read in sources.items()
        }

    @classmethod
    def of(cls, container: Container) -> BackendFigures:
        recorded_at = RecordedAt(container.applications)
        settings = container.settings
        sources: dict[str, Callable[[], Figures]] = {
            "projections": lambda: _projections(container, recorded_at),
            "consumers": lambda: _consumers(container),
            "timers": lambda: _timers(container),
            "queues": lambda: _queues(container),
        }
        return cls(
            sources,
            timeout_seconds=settings.metrics_source_timeout_seconds,
            fresh_seconds=settings.metrics_fresh_seconds,
        )

    def describe(self) -> Iterator[Metric]:
        """Nothing up front: registering must not read the backends (the registry
        would ``collect`` otherwise, before the app has even started)."""
        return iter(())

    def collect(self) -> Iterator[Metric]:
        answers = {name: check.answer() for name, check in self._checks.items()}
        deadline = time.monotonic() + self._timeout_seconds
        up = GaugeMetricFamily(
            "spotlight_metric_source_up",
            "Whether a scrape-time source answered (1) or failed or was late (0).",
            labels=["source"],
        )
        families: dict[str, GaugeMetricFamily] = {}
        for name, answer in answers.items():
            figures = _within(answer, deadline)
            up.add_metric([name], 0.0 if figures is None else 1.0)
            for metric, samples in (figures.samples if figures else {}).items():
                family = families.get(metric)
                if family is None:
                    labels = sorted(samples[0][0]) if samples else []
                    family = GaugeMetricFamily(metric, HELP[metric], labels=labels)
                    families[metric] = family
                for labels_of, value in samples:
                    family.add_metric([labels_of[k] for k in sorted(labels_of)], value)
        yield up
        yield from families.values()


def _within(answer: Future[Figures], deadline: float) -> Figures | None:
    try:
        return answer.result(timeout=max(0.0, deadline - time.monotonic()))
    except FutureTimeout:
        return None
    except Exception:  # noqa: BLE001 - reported as the source being down
        return None
