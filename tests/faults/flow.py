"""When the offering flow moves: its consumer group's committed offsets, sampled.

The flow has resumed after a fault once the group commits beyond what it had
committed before the fault: a message handled end to end (decoded, its command
saved, its offset committed), read from the broker as `spotlight projections
status` reads it.
"""

from __future__ import annotations

import threading
import time

from adapters.backends import event_store_scope
from adapters.kafka.bus import KafkaMessageBus
from adapters.settings import Settings
from commands.onboarding.inbound import OFFERING_FLOW_CONSUMER

SAMPLE_SECONDS = 0.25


class FlowSampler:
    """Samples the offering flow group's committed offsets (summed over its
    partitions) in a thread of its own, from ``start()`` to ``stop()``."""

    def __init__(self, settings: Settings) -> None:
        assert settings.kafka_bootstrap, "the fault suite runs with Kafka"
        self._group = f"{OFFERING_FLOW_CONSUMER}.{event_store_scope(settings)}"
        self._topic = settings.onboarding_offerings_topic
        self._bus = KafkaMessageBus(settings.kafka_bootstrap)
        self._samples: list[tuple[float, int]] = []  # (when, committed)
        self._mutex = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="flow-sampler", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(10)
        self._bus.close()

    def _run(self) -> None:
        while not self._stopping.wait(SAMPLE_SECONDS):
            committed = self._committed()
            if committed is not None:
                with self._mutex:
                    self._samples.append((time.monotonic(), committed))

    def _committed(self) -> int | None:
        try:
            lags = self._bus.consumer_lag(self._group, [self._topic])
        except Exception:  # noqa: BLE001 - Kafka down: no sample
            return None
        return sum(lag.committed or 0 for lag in lags)

    def moved_after(self, moment: float, deadline: float) -> float | None:
        """When the group first committed, at or after ``moment``, beyond the most
        it had committed by then; waits until ``deadline`` (None: not by then)."""
        while True:
            with self._mutex:
                samples = list(self._samples)
            baseline = max((c for at, c in samples if at < moment), default=0)
            for at, committed in samples:
                if at >= moment and committed > baseline:
                    return at
            if time.monotonic() >= deadline:
                return None
            time.sleep(SAMPLE_SECONDS)
