"""The replay benchmark's figures: what it measured, and how it summarises them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.progress import ProgressColumn, Task
from rich.text import Text


@dataclass
class Figures:
    events: int
    batch_size: int
    documents_batch_size: int
    append_seconds: float = 0.0
    ours_seconds: float = 0.0
    mongo_seconds: float = 0.0
    redis_seconds: float = 0.0
    stock_events: int = 0
    stock_seconds: float = 0.0
    ryw_waits_ms: list[float] = field(default_factory=list)
    ryw_all_waits_ms: list[float] = field(default_factory=list)
    command_ms: list[float] = field(default_factory=list)
    ryw_timeouts: int = 0

    @property
    def ours_eps(self) -> float:
        return self.events / self.ours_seconds

    @property
    def all_stores_seconds(self) -> float:
        return self.ours_seconds + self.mongo_seconds + self.redis_seconds

    @property
    def stock_eps(self) -> float:
        return self.stock_events / self.stock_seconds

    def summary(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "ours_eps": round(self.ours_eps),
            "stock_eps": round(self.stock_eps, 1),
            "ratio": round(self.ours_eps / self.stock_eps, 1),
            "ryw_p50_ms": round(percentile(self.ryw_waits_ms, 50), 2),
            "ryw_p99_ms": round(percentile(self.ryw_waits_ms, 99), 2),
            "ours_all_stores_eps": round(self.events / self.all_stores_seconds),
            "ours_mongo_eps": round(self.events / self.mongo_seconds),
            "ours_redis_eps": round(self.events / self.redis_seconds),
            "stock_sample_events": self.stock_events,
            "append_eps": round(self.events / self.append_seconds),
            "batch_size": self.batch_size,
            "mongo_batch_size": self.documents_batch_size,
            "ryw_all_views_p50_ms": round(percentile(self.ryw_all_waits_ms, 50), 2),
            "ryw_all_views_p99_ms": round(percentile(self.ryw_all_waits_ms, 99), 2),
            "ryw_commands": len(self.ryw_waits_ms),
            "ryw_timeouts": self.ryw_timeouts,
        }


class RateColumn(ProgressColumn):
    """Events per second so far."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:>9,.0f}/s" if speed is not None else "        -/s")


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]
