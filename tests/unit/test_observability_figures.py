"""Scrape-time figures: each source read in its own thread, a scrape bounded by the
timeout, a late or failing source reported as down, never raised."""

from __future__ import annotations

import threading
import time

from prometheus_client import CollectorRegistry, generate_latest

from adapters.observability.figures import BackendFigures, Figures, projection_figures
from projections.engine import ProjectionStatus, SourceStatus


def scrape(figures: BackendFigures) -> str:
    registry = CollectorRegistry()
    registry.register(figures)
    return generate_latest(registry).decode()


def test_a_hung_source_is_down_and_the_scrape_returns_within_the_timeout() -> None:
    release = threading.Event()

    def hung() -> Figures:
        release.wait(30)
        return Figures({"spotlight_timers_due": [({}, 1.0)]})

    def fine() -> Figures:
        return Figures({"spotlight_waiting_queue_length": [({"queue": "mentor"}, 3)]})

    figures = BackendFigures(
        {"consumers": hung, "queues": fine}, timeout_seconds=0.3, fresh_seconds=0
    )
    try:
        started = time.monotonic()
        text = scrape(figures)
        took = time.monotonic() - started
        # Check a second scrape does not start a second read of the hung source.
        again = scrape(figures)
    finally:
        release.set()
    assert took < 1.0
    assert 'spotlight_metric_source_up{source="consumers"} 0.0' in text
    assert 'spotlight_metric_source_up{source="queues"} 1.0' in text
    assert 'spotlight_waiting_queue_length{queue="mentor"} 3.0' in text
    assert "spotlight_timers_due" not in text
    assert 'spotlight_metric_source_up{source="consumers"} 0.0' in again


def test_a_failing_source_is_down_not_an_error() -> None:
    def failing() -> Figures:
        raise ConnectionError("kafka: no brokers")

    text = scrape(
        BackendFigures({"consumers": failing}, timeout_seconds=1, fresh_seconds=0)
    )
    assert 'spotlight_metric_source_up{source="consumers"} 0.0' in text


def test_projection_lag_in_events_and_seconds_of_the_oldest_waiting() -> None:
    statuses = [
        ProjectionStatus(
            "mentors",
            1,
            "RUNNING",
            None,
            (SourceStatus("careers", 10, 14), SourceStatus("identity", 5, 5)),
        )
    ]
    asked = []

    def recorded_at(source: str, position: int) -> float:
        asked.append((source, position))
        return 1000.0

    figures = projection_figures(statuses, recorded_at, now=1042.5)
    assert figures.samples["spotlight_projection_lag_events"] == [
        ({"projection": "mentors", "source": "careers"}, 4.0),
        ({"projection": "mentors", "source": "identity"}, 0.0),
    ]
    assert figures.samples["spotlight_projection_lag_seconds"] == [
        ({"projection": "mentors", "source": "careers"}, 42.5),
        ({"projection": "mentors", "source": "identity"}, 0.0),
    ]
    assert asked == [("careers", 11)]  # the first event not applied


def test_registering_reads_nothing() -> None:
    read = []

    def source() -> Figures:
        read.append(1)
        return Figures({})

    registry = CollectorRegistry(auto_describe=True)
    registry.register(
        BackendFigures({"queues": source}, timeout_seconds=1, fresh_seconds=0)
    )
    assert read == []
