"""``spotlight analytics …``: the event log replayed into Parquet for analytics."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from adapters.analytics import DEFAULT_CHUNK_SIZE
from adapters.bootstrap import build_container
from adapters.settings import Settings

analytics_cli = typer.Typer(help="Export the event log for analytics.")


@analytics_cli.command("export")
def export(
    to: str | None = typer.Option(
        None,
        "--to",
        help="A directory, or s3://bucket/prefix (default SPOTLIGHT_ANALYTICS_DIR, "
        "else <data dir>/analytics).",
    ),
    since: int | None = typer.Option(
        None,
        "--since",
        min=0,
        help="Export every application's events again from this position on "
        "(replacing what was exported from there).",
    ),
    chunk_size: int = typer.Option(
        DEFAULT_CHUNK_SIZE, "--chunk-size", min=1, help="Events per chunk (file)."
    ),
) -> None:
    """Replay every application's events into Parquet, one dataset per event family
    partitioned by date; appends what is new since the last run (ADR 017)."""
    # pyarrow is imported when exporting, not at every start of the command line.
    from adapters.analytics.export import (
        ExportProgress,
        default_target,
        export_events,
    )

    settings = Settings()
    target = to or default_target(settings)
    console = Console()
    container = build_container(settings)
    try:
        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>10} events/s"),
            TextColumn("ETA {task.fields[eta]:>6}"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console) as progress:
            task = progress.add_task(
                f"exporting to {target}", total=None, rate="-", eta="-"
            )

            def report(step: ExportProgress) -> None:
                eta = step.eta_seconds
                progress.update(
                    task,
                    description=f"{step.application} → {target}",
                    completed=step.done,
                    total=step.total,
                    rate=f"{step.events_per_second:,.0f}",
                    eta="-" if eta is None else f"{eta:,.0f} s",
                )

            summary = export_events(
                container,
                target,
                since=since,
                progress=report,
                settings=settings,
                chunk_size=chunk_size,
            )
        table = Table("application", "events", "first", "last position", "files")
        for name, result in sorted(summary.applications.items()):
            table.add_row(
                name,
                f"{result.events:,}",
                "-" if result.first_position is None else str(result.first_position),
                str(result.last_position),
                str(result.files),
            )
        console.print(table)
        rate = summary.events / summary.seconds if summary.seconds > 0 else 0.0
        console.print(
            f"exported {summary.events:,} events to {summary.target} in "
            f"{summary.seconds:.1f} s ({rate:,.0f} events/s)"
        )
    finally:
        container.close()
