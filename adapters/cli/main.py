"""The ``spotlight`` command line."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import typer

from adapters.cli.admin import admin_cli
from adapters.cli.analytics import analytics_cli
from adapters.cli.maintenance import maintenance_cli
from adapters.cli.projections import events_cli, projections_cli

# How long uvicorn's supervisor waits for a worker process to answer its health
# check before it kills it as hung. Its default (5 s) is shorter than a start on a
# busy machine can take (the imports, on two cores with every worker starting at
# once), and a worker killed then is started again, slower still.
WORKER_HEALTHCHECK_SECONDS = 30

cli = typer.Typer(help="Spotlight platform management service.", no_args_is_help=True)


@cli.callback()
def _process() -> None:
    """Every command's process logs the same way (``adapters.observability.logs``):
    text for a terminal unless ``SPOTLIGHT_LOG_FORMAT`` says otherwise; the
    commands that serve (``serve``, ``projections run``) choose JSON again."""
    from adapters.observability.logs import configure_logging
    from adapters.settings import Settings

    configure_logging(Settings(), default_format="text")


cli.add_typer(projections_cli, name="projections")
cli.add_typer(events_cli, name="events")
cli.add_typer(admin_cli, name="admin")
cli.add_typer(maintenance_cli, name="maintenance")
cli.add_typer(analytics_cli, name="analytics")


@cli.command()
def serve(
    host: str | None = typer.Option(None, help="Interface (default from settings)."),
    port: int | None = typer.Option(None, help="Port (default from settings)."),
    workers: int | None = typer.Option(
        None,
        min=1,
        help="Worker processes (default SPOTLIGHT_WORKERS, 1).",
    ),
    access_log: bool | None = typer.Option(
        None,
        "--access-log/--no-access-log",
        help="Log every request (default SPOTLIGHT_ACCESS_LOG, on).",
    ),
    reload: bool = typer.Option(False, help="Restart on code changes (one worker)."),
) -> None:
    """Serve the HTTP API: uvicorn on uvloop and httptools, in ``--workers``
    processes sharing the port."""
    import uvicorn

    from adapters.observability.logs import logging_config
    from adapters.settings import Settings

    settings = Settings()
    port = port or settings.port
    # One directory per server (several may share a data directory).
    _count_across_workers(settings.metrics_path / f"port-{port}")
    logged = settings.access_log if access_log is None else access_log
    uvicorn.run(
        "adapters.http.app:app_from_environment",
        factory=True,
        host=host or settings.host,
        port=port,
        workers=1 if reload else (workers or settings.workers),
        reload=reload,
        loop="uvloop",
        http="httptools",
        access_log=logged,
        log_config=logging_config(settings, default_format="json", access_log=logged),
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )


# prometheus_client's switch to counting in shared files (read when it is imported).
MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def _count_across_workers(directory: Path) -> None:
    """Workers count requests and commands in files under ``directory``, emptied
    now (counts start at zero with the server), so that a scrape answered by any
    worker adds up every worker's (``adapters.observability.metrics``).

    prometheus_client reads the directory from its own variable, in each worker as
    it starts: set here, before uvicorn starts them, it is the one environment
    variable this project writes (ADR 019)."""
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    os.environ[MULTIPROCESS_VARIABLE] = str(directory.resolve())


@cli.command()
def version() -> None:
    """Print the version."""
    from importlib.metadata import version as package_version

    typer.echo(package_version("spotlight-platform"))


def main() -> None:
    cli()
