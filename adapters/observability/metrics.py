"""The process's counters and histograms, and how they are exposed.

Two instruments are counted as things happen: HTTP requests (a latency histogram
per route template, method and status, from ``adapters.observability.requests``)
and commands (per message type and outcome, from ``commands.dispatch``). Figures
read from the backends (lags, timers, queues) are read when scraped
(``adapters.observability.figures``).

Several workers (``spotlight serve --workers N``): prometheus_client's multiprocess
mode. ``spotlight serve`` empties a directory and sets ``PROMETHEUS_MULTIPROC_DIR``
before its workers start; each worker's counts then go to files there and a scrape,
answered by any worker, sums every worker's (``MultiProcessCollector``). Without the
variable (tests, one process run by hand) the counts live in this object's own
registry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    values,
)
from prometheus_client.exposition import generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"

# Seconds; the read path answers in a few milliseconds, writes in tens.
LATENCY_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)


def multiprocess_mode() -> bool:
    """Whether prometheus_client counts in shared files (it decides on import,
    from ``PROMETHEUS_MULTIPROC_DIR``)."""
    return values.ValueClass is not values.MutexValue


class Metrics:
    """One process's instruments; ``expose()`` answers a scrape."""

    def __init__(self) -> None:
        self.multiprocess = multiprocess_mode()
        # No ``*_created`` series: scrapers know when a process started.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        # Counted here, whichever registry exposes them.
        own = None if self.multiprocess else CollectorRegistry(auto_describe=True)
        self.requests = Histogram(
            "spotlight_http_request_duration_seconds",
            "HTTP requests by route template, method and status: seconds to answer.",
            ["route", "method", "status"],
            buckets=LATENCY_BUCKETS,
            registry=own,
        )
        self.commands = Counter(
            "spotlight_commands",
            "Commands dispatched, by message type and outcome.",
            ["command", "outcome"],
            registry=own,
        )
        self._registry = own or CollectorRegistry(auto_describe=True)
        self._read_at_scrape: set[str] = set()
        self._request_series: dict[tuple[str, str, int], Histogram] = {}
        if self.multiprocess:
            MultiProcessCollector(self._registry)  # type: ignore[no-untyped-call]

    def request_done(
        self, route: str, method: str, status: int, seconds: float
    ) -> None:
        self.requests.labels(route, method, str(status)).observe(seconds)

    def command_done(self, command: str, outcome: str, seconds: float) -> None:
        self.commands.labels(command, outcome).inc()
        logger.debug(
            "command %s: %s",
            command,
            outcome,
            extra={"command": command, "outcome": outcome, "ms": round(seconds * 1e3)},
        )

    def read_at_scrape(self, name: str, make: Callable[[], Collector]) -> None:
        """Read the collector ``make()`` builds at each scrape too (figures read
        from backends); once per ``name`` (an app built twice on one container)."""
        if name not in self._read_at_scrape:
            self._read_at_scrape.add(name)
            self._registry.register(make())

    def expose(self) -> bytes:
        """Every metric in Prometheus's text format."""
        return generate_latest(self._registry)
