"""``spotlight projections …`` and ``spotlight events …``: operating the read side."""

from __future__ import annotations

import signal
import threading
import time

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from adapters.bootstrap import build_container
from adapters.settings import Settings

projections_cli = typer.Typer(help="Run, inspect and rebuild projections.")
events_cli = typer.Typer(help="Look at the event logs.")


def console() -> Console:
    """A console sized for the terminal at the time of the command."""
    return Console()


@projections_cli.command("status")
def status() -> None:
    """Per projection: version, position, head, lag, state and last error."""
    container = build_container(Settings())
    try:
        table = Table(
            "projection",
            "version",
            "source",
            "position",
            "head",
            "lag",
            "state",
            "worker",
            "last error",
        )
        for item in container.engine.status():
            for source in item.sources:
                table.add_row(
                    item.name,
                    str(item.version)
                    + (
                        f" (building {item.building_version})"
                        if item.building_version
                        else ""
                    ),
                    source.source,
                    str(source.position),
                    str(source.head),
                    str(source.lag),
                    item.state,
                    "yes" if item.has_worker else "none",
                    item.last_error or "",
                )
        console().print(table)
    finally:
        container.close()


@projections_cli.command("run")
def run() -> None:
    """Run every projection in this process until interrupted (a worker)."""
    container = build_container(Settings())
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    container.start_projections()
    console().print(
        f"running {len(container.engine.projection_types)} projection(s); Ctrl-C stops"
    )
    try:
        stopping.wait()
    finally:
        container.close()


@projections_cli.command("rebuild")
def rebuild(name: str = typer.Argument(..., help="The projection to rebuild.")) -> None:
    """Rebuild NAME into a fresh version beside the live one, then switch to it."""
    container = build_container(Settings())
    try:
        if name not in container.engine.projection_types:
            known = ", ".join(sorted(container.engine.projection_types)) or "none"
            raise typer.BadParameter(f"unknown projection {name!r} (known: {known})")
        started = time.monotonic()
        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>10} events/s"),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console()) as progress:
            task = progress.add_task(f"rebuilding {name}", total=None, rate="-")

            def report(done: int, total: int) -> None:
                elapsed = max(time.monotonic() - started, 1e-6)
                progress.update(
                    task, completed=done, total=total, rate=f"{done / elapsed:,.0f}"
                )

            version = container.engine.rebuild(name, report)
        console().print(f"{name} now serves version {version}")
    finally:
        container.close()


@events_cli.command("tail")
def tail(
    count: int = typer.Option(20, "--count", "-n", min=1, max=10_000),
    source: str | None = typer.Option(None, help="Only this application's log."),
) -> None:
    """Show the latest events: position, time, type, aggregate, actor."""
    container = build_container(Settings())
    try:
        table = Table("source", "position", "timestamp", "event", "aggregate", "actor")
        for name, app in sorted(container.applications.items()):
            if source and name != source:
                continue
            head = app.recorder.max_notification_id() or 0
            start = max(1, head - count + 1)
            for notification in app.recorder.select_notifications(start, count):
                event = app.mapper.to_domain_event(notification)
                table.add_row(
                    name,
                    str(notification.id),
                    str(getattr(event, "timestamp", "")),
                    notification.topic.rsplit(":", 1)[-1],
                    str(notification.originator_id),
                    str(getattr(event, "actor_id", "")),
                )
        console().print(table)
    finally:
        container.close()
