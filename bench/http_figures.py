"""``bench.http``'s figures: what wrk printed, and the ratios to the baselines.

The wrk script (``bench.http_wrk``) ends with one line, ``WRK_JSON {...}``: the
requests, errors, latency percentiles (microseconds) and the count of each status
code, summed over wrk's threads.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

MARKER = "WRK_JSON "


@dataclass(frozen=True)
class WrkRun:
    """One wrk run: counts over its duration, latencies in milliseconds."""

    requests: int
    duration_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    timeouts: int
    connect_errors: int
    read_errors: int
    write_errors: int
    non_2xx_3xx: int
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    @property
    def answered(self) -> int:
        return sum(self.statuses.values())

    def share_pct(self, status: int) -> float:
        """The percentage of answered requests that had ``status``."""
        answered = self.answered
        return 100.0 * self.statuses.get(status, 0) / answered if answered else 0.0

    @property
    def ok(self) -> int:
        return sum(n for code, n in self.statuses.items() if 200 <= code < 300)


def parse_wrk_output(stdout: str) -> WrkRun:
    """The run the script's ``done`` hook printed; ``ValueError`` without one."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(MARKER):
            data: dict[str, Any] = json.loads(line[len(MARKER) :])
            break
    else:
        raise ValueError("wrk printed no WRK_JSON line:\n" + stdout[-2000:])
    latency, errors = data["latency_us"], data["errors"]
    return WrkRun(
        requests=int(data["requests"]),
        duration_s=data["duration_us"] / 1e6,
        p50_ms=latency["p50"] / 1000,
        p90_ms=latency["p90"] / 1000,
        p99_ms=latency["p99"] / 1000,
        max_ms=latency["max"] / 1000,
        timeouts=int(errors["timeout"]),
        connect_errors=int(errors["connect"]),
        read_errors=int(errors["read"]),
        write_errors=int(errors["write"]),
        non_2xx_3xx=int(errors["status"]),
        statuses={int(code): int(n) for code, n in data["statuses"].items()},
    )


def ratio(ours: float, baseline: float) -> float:
    """``ours / baseline``, rounded; NaN when the baseline is zero."""
    if not baseline:
        return math.nan
    return round(ours / baseline, 3)


@dataclass(frozen=True)
class BareSaves:
    """The bare eventsourcing save loop: one event per save, one thread."""

    saves: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def events_per_s(self) -> float:
        return self.saves / self.seconds if self.seconds else 0.0


@dataclass
class Results:
    """Every measurement of a run; ``summary`` is the JSON line."""

    minimal_get: WrkRun
    get: WrkRun
    bare: BareSaves
    cmd: WrkRun
    hot: WrkRun
    growth_empty: WrkRun | None = None
    growth_full: WrkRun | None = None
    growth_events: int = 0
    events_before_growth: int = 0
    settings: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        figures: dict[str, Any] = {
            "benchmark": "http",
            **self.settings,
            "get_rps": round(self.get.rps, 1),
            "get_ratio": ratio(self.get.rps, self.minimal_get.rps),
            "get_p50_ms": round(self.get.p50_ms, 2),
            "get_p99_ms": round(self.get.p99_ms, 2),
            "get_p99_ratio": ratio(self.get.p99_ms, self.minimal_get.p99_ms),
            "get_non_2xx": self.get.non_2xx_3xx,
            "minimal_rps": round(self.minimal_get.rps, 1),
            "minimal_p50_ms": round(self.minimal_get.p50_ms, 2),
            "minimal_p99_ms": round(self.minimal_get.p99_ms, 2),
            "cmd_rps": round(self.cmd.rps, 1),
            "cmd_ratio": ratio(self.cmd.rps, self.bare.events_per_s),
            "cmd_p50_ms": round(self.cmd.p50_ms, 2),
            "cmd_p99_ms": round(self.cmd.p99_ms, 2),
            "cmd_non_2xx": self.cmd.non_2xx_3xx,
            "cmd_timeouts": self.cmd.timeouts,
            "bare_events_per_s": round(self.bare.events_per_s, 1),
            "bare_save_p50_ms": round(self.bare.p50_ms, 2),
            "bare_save_p99_ms": round(self.bare.p99_ms, 2),
            "hot_rps": round(self.hot.rps, 1),
            "hot_ok_rps": round(self.hot.ok / self.hot.duration_s, 1)
            if self.hot.duration_s
            else 0.0,
            "hot_p50_ms": round(self.hot.p50_ms, 2),
            "hot_p99_ms": round(self.hot.p99_ms, 2),
            "hot_timeouts": self.hot.timeouts,
            "hot_conflict_pct": round(self.hot.share_pct(409), 2),
        }
        if self.growth_empty is not None and self.growth_full is not None:
            figures |= {
                "growth_events": self.growth_events,
                "growth_events_before": self.events_before_growth,
                "growth_empty_p50_ms": round(self.growth_empty.p50_ms, 2),
                "growth_empty_p99_ms": round(self.growth_empty.p99_ms, 2),
                "growth_full_p50_ms": round(self.growth_full.p50_ms, 2),
                "growth_full_p99_ms": round(self.growth_full.p99_ms, 2),
                "growth_p50_ratio": ratio(
                    self.growth_full.p50_ms, self.growth_empty.p50_ms
                ),
                "growth_p99_ratio": ratio(
                    self.growth_full.p99_ms, self.growth_empty.p99_ms
                ),
            }
        else:
            figures["growth_p50_ratio"] = None
        return figures
