"""Running inbound consumers: threads in the API process, or a worker process.

The consumers themselves (``adapters.kafka.inbound.InboundConsumer``) speak only the
ports; this module owns their threads and, for a worker, the process signals. It
works with any ``MessageBus`` (Kafka, or the in-memory bus when embedded).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterable
from types import FrameType

from adapters.kafka.inbound import InboundConsumer, InboundStats

logger = logging.getLogger(__name__)


class InboundWorkers:
    """A set of inbound consumers started and stopped together."""

    def __init__(self, consumers: Iterable[InboundConsumer]) -> None:
        self.consumers = list(consumers)
        names = [c.name for c in self.consumers]
        if len(set(names)) != len(names):
            raise ValueError(f"inbound consumer names must be unique: {names}")
        self._stop_requested = threading.Event()

    def start(self) -> None:
        """Run every consumer in a daemon thread (the API lifespan calls this)."""
        for consumer in self.consumers:
            consumer.start()

    def stop(self, timeout_seconds: float = 10) -> None:
        """Stop every consumer; messages not yet committed are redelivered later."""
        self._stop_requested.set()
        for consumer in self.consumers:
            consumer.request_stop()
        for consumer in self.consumers:
            consumer.stop(timeout_seconds)

    def stats(self) -> dict[str, InboundStats]:
        return {c.name: c.stats for c in self.consumers}

    def run_forever(self) -> None:
        """Run until SIGINT or SIGTERM (a CLI worker); call from the main thread."""

        def request_stop(signum: int, frame: FrameType | None) -> None:
            logger.info("signal %d: stopping inbound consumers", signum)
            self._stop_requested.set()

        previous = {
            sig: signal.signal(sig, request_stop)
            for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            self.start()
            while not self._stop_requested.wait(1.0):
                pass
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
