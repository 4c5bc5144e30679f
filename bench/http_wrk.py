"""wrk for ``bench.http``: found on PATH or installed from Debian's package, and the
Lua scripts it runs.

Each script counts the answers per status code in a ``response`` hook (wrk's threads
each have their own Lua state: ``setup`` keeps every thread, ``done`` sums their
counts through ``thread:get``) and prints one ``WRK_JSON {...}`` line from ``done``
(``bench.http_figures.parse_wrk_output`` reads it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.http_figures import WrkRun, parse_wrk_output

# wrk's own answer-timeout; a request slower than this counts as a timeout.
TIMEOUT = "2s"

_DONE = r"""
threads = {}

setup = function(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("statuses")) do
      total[code] = (total[code] or 0) + n
    end
  end
  local codes = {}
  for code, n in pairs(total) do
    table.insert(codes, string.format('"%d": %d', code, n))
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, '
    .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, '
    .. '"timeout": %d}, "latency_us": {"p50": %.0f, "p90": %.0f, "p99": %.0f, '
    .. '"max": %.0f}, "statuses": {%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, table.concat(codes, ", ")))
end
"""


def _lua_list(values: Sequence[str]) -> str:
    return "{" + ", ".join(f'"{value}"' for value in values) + "}"


def get_script(tokens: Sequence[str], path: str = "/me") -> str:
    """``GET path`` with each of ``tokens`` in turn (each thread starts elsewhere)."""
    return (
        f"local tokens = {_lua_list(tokens)}\n"
        f'local path = "{path}"\n'
        + r"""
init = function(args)
  statuses = {}
  requests = {}
  for i, token in ipairs(tokens) do
    requests[i] = wrk.format("GET", path, {["Authorization"] = "Bearer " .. token})
  end
  n = tid * 7919
end

request = function()
  n = n + 1
  return requests[(n % #requests) + 1]
end
"""
        + _DONE
    )


def patch_script(tokens: Sequence[str], threads: int) -> str:
    """``PATCH /me`` with a new first name each time.

    With several tokens each thread takes its own share of them and sends to them in
    turn, so with more users than connections no two requests of one user are in
    flight at once (unless one is slower than all the others between them); with one
    token every connection writes to the same user.
    """
    return (
        f"local tokens = {_lua_list(tokens)}\n"
        f"local thread_count = {threads}\n"
        + r"""
init = function(args)
  statuses = {}
  mine = {}
  for i, token in ipairs(tokens) do
    if #tokens == 1 or (i - 1) % thread_count == tid then
      table.insert(mine, "Bearer " .. token)
    end
  end
  n = 0
end

request = function()
  n = n + 1
  local body = string.format('{"first_name": "Bench %d %d"}', tid, n)
  return wrk.format("PATCH", "/me", {
    ["Authorization"] = mine[(n % #mine) + 1],
    ["Content-Type"] = "application/json",
  }, body)
end
"""
        + _DONE
    )


def find_or_install(say: Callable[[str], None]) -> str:
    """wrk's path: on PATH, else installed with ``apt-get install -y wrk``."""
    found = shutil.which("wrk")
    if found:
        say(f"wrk: {found}")
        return found
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        raise SystemExit(
            "bench.http needs wrk: not on PATH, and it cannot be installed here "
            "(needs apt-get as root: `apt-get install -y wrk`)"
        )
    say("wrk is not on PATH: installing Debian's package (apt-get install -y wrk)")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    installed = subprocess.run(  # noqa: S603 - a fixed command
        [apt, "install", "-y", "--no-install-recommends", "wrk"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if installed.returncode != 0:
        say("apt-get install failed; running apt-get update first")
        subprocess.run(  # noqa: S603 - a fixed command
            [apt, "update"], env=environment, capture_output=True, check=False
        )
        installed = subprocess.run(  # noqa: S603 - a fixed command
            [apt, "install", "-y", "--no-install-recommends", "wrk"],
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
    found = shutil.which("wrk")
    if installed.returncode != 0 or found is None:
        raise SystemExit(
            "bench.http could not install wrk with apt-get:\n"
            + (installed.stderr or installed.stdout)[-2000:]
        )
    say(f"wrk installed: {found}")
    return found


def run(
    wrk: str,
    url: str,
    script: str,
    workdir: Path,
    *,
    seconds: float,
    threads: int,
    connections: int,
) -> WrkRun:
    """One wrk run of ``script`` against ``url``."""
    path = workdir / "script.lua"
    path.write_text(script)
    finished = subprocess.run(  # noqa: S603 - our own arguments
        [
            wrk,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            f"--timeout={TIMEOUT}",
            "-s",
            str(path),
            url,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=seconds + 60,
    )
    if finished.returncode != 0:
        raise RuntimeError(
            f"wrk failed ({finished.returncode}): {finished.stderr[-2000:]}"
        )
    return parse_wrk_output(finished.stdout)
