"""The documented deployment as subprocesses: the API (``spotlight serve``, no
projections in it) and one worker (``spotlight projections run``), both configured by
``SPOTLIGHT_*`` variables for the private servers.

Each process's output goes to a file of its own; ``tails()`` gives the end of each,
for failure messages.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

from adapters.settings import Settings
from tests.faults.servers import ROOT

SPOTLIGHT = ROOT / ".venv" / "bin" / "spotlight"
START_TIMEOUT_SECONDS = 60
WORKER_STARTED = "running"  # what `spotlight projections run` prints once started


class DeploymentError(Exception):
    """A process of the deployment did not start; the message holds its output."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# uvicorn's access log: one line per request, crowding out what matters in a tail
# (uvicorn's own text line, or a JSON line of ``spotlight serve``).
ACCESS_LOG = re.compile(r'^INFO: +[0-9.]+:[0-9]+ - |^\{.*"logger": "uvicorn\.access"')


def tail(path: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of a process's output, without access log lines."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return "(no output)"
    kept = [line for line in text.splitlines() if not ACCESS_LOG.match(line)]
    return "\n".join(kept[-lines:]) or "(no output)"


@dataclass
class Process:
    """One process of the deployment, restartable, its output appended to ``log``."""

    name: str
    argv: list[str]
    env: Mapping[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None
    _out: IO[bytes] | None = None
    _offset: int = 0  # where the current run's output starts in ``log``

    def start(self) -> None:
        self._out = self.log.open("ab")
        self._out.write(f"\n==== {time.strftime('%H:%M:%S')} start ====\n".encode())
        self._out.flush()
        self._offset = self._out.tell()
        self.popen = subprocess.Popen(  # noqa: S603 - our own entry point
            self.argv,
            cwd=ROOT,
            env=dict(self.env),
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        """What the current run has written so far."""
        with self.log.open("rb") as log:
            log.seek(self._offset)
            return log.read().decode(errors="replace")

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown of any kind."""
        if self.popen is not None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait()
        self._close()

    def stop(self, timeout_seconds: float = 15) -> None:
        """SIGTERM, then SIGKILL after ``timeout_seconds``."""
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout_seconds)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._close()

    def _close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

    def failed_to_start(self, why: str) -> DeploymentError:
        return DeploymentError(f"{self.name} {why}; its output:\n{tail(self.log)}")


@dataclass
class Deployment:
    """The API and one worker, and the settings they run with."""

    values: dict[str, Any]
    log_dir: Path
    api_port: int = field(default_factory=free_port)

    def __post_init__(self) -> None:
        self.values.update(
            host="127.0.0.1",
            port=self.api_port,
            public_base_url=self.base_url,
            run_projections_in_api=False,
        )
        env = environment(self.values)
        self.api = Process(
            "the API", [str(SPOTLIGHT), "serve"], env, self.log_dir / "api.log"
        )
        self.worker = Process(
            "the worker",
            [str(SPOTLIGHT), "projections", "run"],
            env,
            self.log_dir / "worker.log",
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def settings(self) -> Settings:
        """The same settings, for building the deployment's container here."""
        return Settings.model_validate(self.values)

    def start(self) -> None:
        # Both at once on an empty database, as after a machine restart: they
        # take turns creating the event store's tables.
        self.worker.start()
        self.api.start()
        self.wait_for_worker()
        self.wait_for_api()

    def stop(self) -> None:
        self.api.stop()
        self.worker.stop()

    def wait_for_api(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if not self.api.alive:
                raise self.api.failed_to_start("exited during start-up")
            try:
                if httpx.get(f"{self.base_url}/health/live", timeout=2).is_success:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise self.api.failed_to_start(f"did not answer in {START_TIMEOUT_SECONDS}s")

    def wait_for_worker(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if not self.worker.alive:
                raise self.worker.failed_to_start("exited during start-up")
            if WORKER_STARTED in self.worker.output():
                return
            time.sleep(0.1)
        raise self.worker.failed_to_start(f"did not start in {START_TIMEOUT_SECONDS}s")

    def tails(self) -> str:
        return "\n".join(
            f"---- last lines of {p.name}'s output ({p.log}) ----\n{tail(p.log)}"
            for p in (self.api, self.worker)
        )


def environment(values: Mapping[str, Any]) -> dict[str, str]:
    """This process's environment without its ``SPOTLIGHT_*`` variables, plus
    ``values`` (``Settings`` field names) as such variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPOTLIGHT_")}
    env.update({f"SPOTLIGHT_{k.upper()}": _text(v) for k, v in values.items()})
    return env


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
