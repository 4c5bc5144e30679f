"""A private set of the real servers for the fault suite, beside the shared ones.

``scripts/services`` runs them from a state directory of their own
(``SPOTLIGHT_SERVICES_DIR``) on ports derived from the shared servers' ports, so
stopping one never disturbs the rest of the suite. Installs (apt packages, Kafka's
jars, the FerretDB binary) stay shared in ``.services/``.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "scripts" / "services"
# Under the shared, git-ignored .services/ so the postgres OS user can reach it.
STATE_DIR = ROOT / ".services" / "faults"

# The variables scripts/services reads, with its defaults: the shared servers' ports.
PORT_VARIABLES: Mapping[str, int] = {
    "SPOTLIGHT_POSTGRES_PORT": 55432,
    "SPOTLIGHT_REDIS_PORT": 56379,
    "SPOTLIGHT_S3_PORT": 55000,
    "SPOTLIGHT_KAFKA_PORT": 59092,
    "SPOTLIGHT_KAFKA_CONTROLLER_PORT": 59093,
    "SPOTLIGHT_FERRETDB_PORT": 57017,
}
# Each private port is the shared one plus this (SPOTLIGHT_FAULTS_PORT_OFFSET).
DEFAULT_PORT_OFFSET = 1000

# scripts/services' names, and the name readiness gives each backend.
SERVICE_NAMES = ("postgres", "redis", "s3", "kafka", "ferretdb")
BACKEND_OF_SERVICE: Mapping[str, str] = {
    "postgres": "postgres",
    "redis": "redis",
    "s3": "s3",
    "kafka": "kafka",
    "ferretdb": "mongodb",
}

Echo = Callable[[str], None]


class ServicesError(Exception):
    """``scripts/services`` failed; the message holds its output."""


def private_ports(environ: Mapping[str, str]) -> dict[str, int]:
    """Each port variable's private value; refuses ports that collide."""
    offset = int(environ.get("SPOTLIGHT_FAULTS_PORT_OFFSET", DEFAULT_PORT_OFFSET))
    shared = {
        name: int(environ.get(name, default))
        for name, default in PORT_VARIABLES.items()
    }
    private = {name: port + offset for name, port in shared.items()}
    taken = set(shared.values())
    problems = [
        f"{name}={port}" for name, port in private.items() if not 0 < port < 65536
    ]
    problems += [
        f"{name}={port} is a shared server's port"
        for name, port in private.items()
        if port in taken
    ]
    if len(set(private.values())) != len(private):
        problems.append(f"two private ports are equal: {private}")
    if problems:
        raise ServicesError(
            "the fault suite's private ports collide ("
            + "; ".join(problems)
            + "); set SPOTLIGHT_FAULTS_PORT_OFFSET to another offset"
        )
    return private


@dataclass(frozen=True)
class PrivateServers:
    """The private servers' addresses, and ``scripts/services`` run for them."""

    ports: Mapping[str, int]
    state_dir: Path = STATE_DIR

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> PrivateServers:
        return cls(private_ports(environ))

    def port(self, variable: str) -> int:
        return self.ports[f"SPOTLIGHT_{variable}_PORT"]

    @property
    def postgres_url(self) -> str:
        port = self.port("POSTGRES")
        return f"postgresql://spotlight:spotlight@127.0.0.1:{port}/spotlight"

    @property
    def mongo_url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port('FERRETDB')}/"

    def redis_url(self, database: int) -> str:
        return f"redis://127.0.0.1:{self.port('REDIS')}/{database}"

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.port('KAFKA')}"

    @property
    def s3_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port('S3')}"

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({name: str(port) for name, port in self.ports.items()})
        env["SPOTLIGHT_SERVICES_DIR"] = str(self.state_dir)
        return env

    def run(self, command: str, *names: str, echo: Echo | None = None) -> float:
        """``scripts/services COMMAND NAME…``; its output line by line to ``echo``.

        Returns the seconds it took; raises ``ServicesError`` with its output when it
        fails.
        """
        started = time.monotonic()
        process = subprocess.Popen(  # noqa: S603 - our own script, fixed arguments
            [str(SERVICES), command, *names],
            cwd=ROOT,
            env=self.environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if echo is not None:
                echo(f"[private servers] {line.rstrip()}")
        code = process.wait()
        if code != 0:
            output = "\n".join(lines)
            raise ServicesError(
                f"`SPOTLIGHT_SERVICES_DIR={self.state_dir} scripts/services "
                f"{' '.join([command, *names])}` exited with {code}:\n{output}"
            )
        return time.monotonic() - started
