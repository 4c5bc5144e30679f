"""``spotlight projections …`` and ``spotlight events …``: operating the read side."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Mapping
from typing import TypeVar

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

from adapters.bootstrap import (
    Container,
    InboundSubscription,
    build_container,
    inbound_subscriptions,
)
from adapters.runtime import settle_heap
from adapters.settings import Settings
from ports.errors import backend_of, is_outage
from projections.engine import RecoveryRefusedError

projections_cli = typer.Typer(help="Run, inspect and rebuild projections.")
events_cli = typer.Typer(help="Look at the event logs.")


def console() -> Console:
    """A console sized for the terminal at the time of the command."""
    return Console()


@projections_cli.command("status")
def status() -> None:
    """Per projection: version, position, head, lag, state and last error; per
    inbound consumer: its group and, per topic, committed offset, end and lag."""
    settings = Settings()
    container = _unless_out_of_reach(lambda: build_container(settings))
    try:
        statuses = _unless_out_of_reach(container.engine.status)
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
        failed = []
        for item in statuses:
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
            if item.failed_at:
                failed.append(f"{item.name} stopped on event {item.failed_at}")
        console().print(table)
        for line in failed:
            console().print(
                f"[bold red]FAILED[/] {line}: fix the cause, then "
                "`spotlight projections resume NAME` (or `skip NAME EVENT`)"
            )
        subscriptions = inbound_subscriptions(container)
        if subscriptions:
            console().print(_consumers_table(container, subscriptions))
    finally:
        container.close()


T = TypeVar("T")


def _unless_out_of_reach(read: Callable[[], T]) -> T:
    """``read()``; when a backend is out of reach, one line naming it and exit 1."""
    try:
        return read()
    except Exception as error:
        if not is_outage(error):
            raise
        backend = backend_of(error, "postgres")
        typer.echo(
            f"spotlight: {backend} is out of reach ({type(error).__name__}); "
            "no status to show",
            err=True,
        )
        raise typer.Exit(1) from None


def _add_unknown_lag(
    table: Table, subscription: InboundSubscription, reason: str
) -> None:
    for topic in subscription.topics:
        table.add_row(
            subscription.name,
            subscription.group_id,
            topic,
            "unknown",
            "unknown",
            f"unknown: {reason}",
        )


def _consumers_table(
    container: Container, subscriptions: list[InboundSubscription]
) -> Table:
    """The inbound consumers' lag as the broker has it (committed offsets)."""
    table = Table("consumer", "group", "topic", "committed", "end", "lag")
    for subscription in subscriptions:
        if not container.settings.kafka_bootstrap:
            # The in-memory bus lives in the serving process: only it knows.
            _add_unknown_lag(
                table, subscription, "in-memory bus, inside the serving process"
            )
            continue
        try:
            lags = container.bus.consumer_lag(
                subscription.group_id, subscription.topics
            )
        except Exception as error:
            if not is_outage(error):
                raise
            reason = type(error.__cause__ or error).__name__
            _add_unknown_lag(
                table,
                subscription,
                f"{backend_of(error, 'kafka')} unreachable ({reason})",
            )
            continue
        for lag in lags:
            table.add_row(
                subscription.name,
                subscription.group_id,
                lag.topic,
                "none" if lag.committed is None else str(lag.committed),
                str(lag.end),
                str(lag.lag),
            )
    return table


@projections_cli.command("run")
def run() -> None:
    """Run every projection in this process until interrupted (a worker)."""
    from adapters.observability.logs import configure_logging

    settings = Settings()
    configure_logging(settings, default_format="json")
    container = build_container(settings)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    container.start_projections()
    settle_heap()  # a long-running process: see adapters/runtime.py
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
        _require_known(container.engine.projection_types, name)
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


@projections_cli.command("resume")
def resume(name: str = typer.Argument(..., help="The FAILED projection.")) -> None:
    """Have a FAILED projection try the event it stopped on again."""
    container = build_container(Settings())
    try:
        _require_known(container.engine.projection_types, name)
        try:
            failed_at = container.engine.resume(name)
        except RecoveryRefusedError as refusal:
            raise typer.BadParameter(str(refusal)) from None
        console().print(f"{name} will try event {failed_at} again")
    finally:
        container.close()


@projections_cli.command("skip")
def skip(
    name: str = typer.Argument(..., help="The FAILED projection."),
    event: str = typer.Argument(
        ..., help="The event it stopped on, as shown by status: SOURCE:POSITION."
    ),
) -> None:
    """Pass over the one event a FAILED projection stopped on; the view will never
    reflect it."""
    container = build_container(Settings())
    try:
        _require_known(container.engine.projection_types, name)
        try:
            container.engine.skip(name, event)
        except RecoveryRefusedError as refusal:
            raise typer.BadParameter(str(refusal)) from None
        console().print(f"{name} skipped event {event} and resumes after it")
    finally:
        container.close()


def _require_known(known: Mapping[str, object], name: str) -> None:
    if name not in known:
        names = ", ".join(sorted(known)) or "none"
        raise typer.BadParameter(f"unknown projection {name!r} (known: {names})")


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
