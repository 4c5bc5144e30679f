"""The ``spotlight`` command line."""

from __future__ import annotations

import typer

from adapters.cli.admin import admin_cli
from adapters.cli.maintenance import maintenance_cli
from adapters.cli.projections import events_cli, projections_cli

cli = typer.Typer(help="Spotlight platform management service.", no_args_is_help=True)
cli.add_typer(projections_cli, name="projections")
cli.add_typer(events_cli, name="events")
cli.add_typer(admin_cli, name="admin")
cli.add_typer(maintenance_cli, name="maintenance")


@cli.command()
def serve(
    host: str | None = typer.Option(None, help="Interface (default from settings)."),
    port: int | None = typer.Option(None, help="Port (default from settings)."),
    reload: bool = typer.Option(False, help="Restart on code changes."),
) -> None:
    """Serve the HTTP API."""
    import uvicorn

    from adapters.settings import Settings

    settings = Settings()
    uvicorn.run(
        "adapters.http.app:app_from_environment",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        reload=reload,
    )


@cli.command()
def version() -> None:
    """Print the version."""
    from importlib.metadata import version as package_version

    typer.echo(package_version("spotlight-platform"))


def main() -> None:
    cli()
