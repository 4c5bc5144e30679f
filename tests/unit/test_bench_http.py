"""``bench.http``'s pure parts: reading wrk's output and working out the ratios."""

from __future__ import annotations

import json
import math

import pytest

from bench.http_figures import BareSaves, Results, WrkRun, parse_wrk_output, ratio
from bench.http_wrk import get_script, patch_script

# What wrk prints with the bench's script: its own summary, then the script's line.
WRK_STDOUT = """\
Running 10s test @ http://127.0.0.1:8000
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    40.12ms   20.01ms 400.00ms   90.00%
    Req/Sec   400.00     50.00   500.00     70.00%
  8000 requests in 10.00s, 3.00MB read
  Non-2xx or 3xx responses: 2000
Requests/sec:    800.00
Transfer/sec:    300.00KB
WRK_JSON {"requests": 8000, "duration_us": 10000000, "bytes": 3000000, \
"errors": {"connect": 0, "read": 1, "write": 0, "status": 2000, "timeout": 3}, \
"latency_us": {"p50": 40000, "p90": 80000, "p99": 160500, "max": 400000}, \
"statuses": {"200": 5997, "409": 2000}}
"""


def run(**changes: object) -> WrkRun:
    figures: dict[str, object] = {
        "requests": 1000,
        "duration_s": 10.0,
        "p50_ms": 10.0,
        "p90_ms": 20.0,
        "p99_ms": 30.0,
        "max_ms": 40.0,
        "timeouts": 0,
        "connect_errors": 0,
        "read_errors": 0,
        "write_errors": 0,
        "non_2xx_3xx": 0,
        "statuses": {200: 1000},
    }
    return WrkRun(**(figures | changes))  # type: ignore[arg-type]


def test_the_scripts_line_is_read_into_a_run() -> None:
    parsed = parse_wrk_output(WRK_STDOUT)

    # Check the counts, the rate and the latencies in milliseconds.
    assert parsed.requests == 8000
    assert parsed.rps == 800.0
    assert (parsed.p50_ms, parsed.p90_ms, parsed.p99_ms, parsed.max_ms) == (
        40.0,
        80.0,
        160.5,
        400.0,
    )
    # Check the errors and the statuses summed over wrk's threads.
    assert parsed.timeouts == 3
    assert parsed.read_errors == 1
    assert parsed.non_2xx_3xx == 2000
    assert parsed.statuses == {200: 5997, 409: 2000}
    # Check the share of 409s is of the answers (timeouts had none).
    assert parsed.answered == 7997
    assert parsed.share_pct(409) == pytest.approx(100 * 2000 / 7997)
    assert parsed.ok == 5997


def test_output_without_the_scripts_line_is_refused() -> None:
    with pytest.raises(ValueError, match="no WRK_JSON line"):
        parse_wrk_output("Running 10s test @ http://127.0.0.1:8000\n")


def test_a_run_without_answers_has_no_conflicts_and_no_rate() -> None:
    empty = run(requests=0, duration_s=0.0, statuses={})
    assert empty.rps == 0.0
    assert empty.share_pct(409) == 0.0


def test_ratios_round_and_a_zero_baseline_gives_nan() -> None:
    assert ratio(727, 4275) == 0.17
    assert ratio(1, 3) == 0.333
    assert math.isnan(ratio(1, 0))


def test_the_summary_carries_each_ratio_to_its_baseline() -> None:
    results = Results(
        minimal_get=run(requests=40_000, p99_ms=15.0),
        get=run(requests=20_000, p99_ms=45.0),
        bare=BareSaves(saves=4320, seconds=5.0, p50_ms=1.0, p99_ms=3.0),
        cmd=run(requests=6048, p99_ms=90.0),
        hot=run(requests=500, timeouts=2, statuses={200: 396, 409: 4}),
        growth_empty=run(p50_ms=20.0, p99_ms=50.0),
        growth_full=run(p50_ms=22.0, p99_ms=60.0),
        growth_events=1_000_000,
        events_before_growth=12_345,
        settings={"workers": 1},
    )

    summary = results.summary()

    # Check the JSON line's required figures.
    assert summary["get_rps"] == 2000.0
    assert summary["get_ratio"] == 0.5
    assert summary["get_p99_ms"] == 45.0
    assert summary["get_p99_ratio"] == 3.0
    assert summary["cmd_rps"] == 604.8
    assert summary["cmd_ratio"] == 0.7  # 604.8 req/s over 864 events/s
    assert summary["cmd_p99_ms"] == 90.0
    assert summary["hot_timeouts"] == 2
    assert summary["hot_conflict_pct"] == 1.0
    assert summary["growth_p50_ratio"] == 1.1
    assert summary["growth_p99_ratio"] == 1.2
    assert summary["bare_events_per_s"] == 864.0
    assert summary["workers"] == 1
    # Check it is one JSON line.
    assert "\n" not in json.dumps(summary)


def test_without_the_growth_case_its_ratio_is_null() -> None:
    results = Results(
        minimal_get=run(),
        get=run(),
        bare=BareSaves(saves=100, seconds=1.0, p50_ms=1.0, p99_ms=2.0),
        cmd=run(),
        hot=run(),
    )
    summary = results.summary()
    assert summary["growth_p50_ratio"] is None
    assert "growth_full_p50_ms" not in summary


def test_the_patch_script_gives_each_thread_its_own_users() -> None:
    # Check every token is named once, the threads split them, and one token is
    # shared by every thread (the hot aggregate).
    script = patch_script(["a", "b", "c"], threads=2)
    assert 'local tokens = {"a", "b", "c"}' in script
    assert "local thread_count = 2" in script
    assert "(i - 1) % thread_count == tid" in script
    assert "#tokens == 1" in script
    # Check both scripts count statuses per thread and sum them in done().
    for text in (script, get_script(["a"])):
        assert 'thread:get("statuses")' in text
        assert "WRK_JSON" in text
