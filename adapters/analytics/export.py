"""``export_events``: every application's log replayed into Parquet, incrementally.

For each application, from the position its state file remembers (or ``since``),
the log is read in chunks; each chunk becomes one Parquet file per (family, date)
named by the chunk's first position, and then the state file records the chunk's
last position. Before a chunk's files are written the state names the chunk as
*pending*, so a run killed half-way re-exports exactly that chunk next time and
overwrites what it had written: no duplicate, no gap.

Exports to one target take turns: a PostgreSQL advisory lock where the event store
is PostgreSQL, a lock file otherwise. The second waits, then reads the state the
first left and exports only what is new.

User ids become pseudonyms (``projections.analytics.pseudonyms``); personal fields
are never decrypted (the export holds no key that opens them: it reads the stored
bytes, not the application's mapper).
"""

from __future__ import annotations

import fcntl
import hashlib
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

import pyarrow as pa
import pyarrow.compute as pc

from adapters.analytics.sources import (
    IDENTITY_APPLICATION,
    ExportSources,
    LogSource,
    PostgresSource,
    RecorderSource,
    pages,
)
from adapters.analytics.target import ExportTarget
from adapters.settings import Settings
from projections.analytics.fields import PARTITION_COLUMN, ColumnKind
from projections.analytics.pseudonyms import Pseudonyms, pseudonym_of
from projections.analytics.rows import ENVELOPE_KINDS, RowBuilder, TopicColumns

if TYPE_CHECKING:
    from adapters.bootstrap import Container

DEFAULT_CHUNK_SIZE = 100_000

ARROW_TYPES: dict[ColumnKind, pa.DataType] = {
    ColumnKind.STRING: pa.string(),
    ColumnKind.INT: pa.int64(),
    ColumnKind.FLOAT: pa.float64(),
    ColumnKind.BOOL: pa.bool_(),
    ColumnKind.TIMESTAMP: pa.timestamp("us", tz="UTC"),
    ColumnKind.STRINGS: pa.list_(pa.string()),
}


@dataclass(frozen=True)
class ExportProgress:
    """Where an export stands, after each chunk."""

    application: str
    position: int  # the last position exported
    head: int  # the log's last position when the export began
    done: int  # events exported so far in this run (every application)
    total: int  # events to export in this run (every application)
    seconds: float

    @property
    def events_per_second(self) -> float:
        return self.done / self.seconds if self.seconds > 0 else 0.0

    @property
    def eta_seconds(self) -> float | None:
        rate = self.events_per_second
        return (self.total - self.done) / rate if rate > 0 else None


@dataclass
class ApplicationSummary:
    events: int = 0
    first_position: int | None = None
    last_position: int = 0
    files: int = 0


@dataclass
class ExportSummary:
    """What a run exported, per application, and how long it took."""

    target: str
    applications: dict[str, ApplicationSummary] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def events(self) -> int:
        return sum(a.events for a in self.applications.values())

    @property
    def positions(self) -> dict[str, int]:
        """The last position exported per application (what reports reflect)."""
        return {name: a.last_position for name, a in self.applications.items()}


Progress = Callable[[ExportProgress], None]


def default_target(settings: Settings) -> str:
    """``SPOTLIGHT_ANALYTICS_DIR``, else ``<data dir>/analytics``."""
    return settings.analytics_dir or str(settings.data_dir / "analytics")


def export_events(
    source: Container | ExportSources,
    target: str | Path | None = None,
    *,
    since: int | None = None,
    progress: Progress | None = None,
    settings: Settings | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> ExportSummary:
    """Export every application's new events to ``target`` (see the module's text).

    ``source`` is the composition root's container (or ``ExportSources`` built by
    ``sources_of``). ``since``: export again from that position (every application),
    replacing what was exported from the chunk holding it on.
    """
    owned = not isinstance(source, ExportSources)
    if isinstance(source, ExportSources):
        sources = source
        settings = settings or Settings()
    else:
        settings = settings or source.settings
        sources = sources_of(source)
    try:
        where = ExportTarget.of(target or default_target(settings), settings)
        with sources.lock(where.url):
            return _export(sources, where, since, progress, chunk_size)
    finally:
        if owned:
            sources.close()


def _export(
    sources: ExportSources,
    target: ExportTarget,
    since: int | None,
    progress: Progress | None,
    chunk_size: int,
) -> ExportSummary:
    started = time.perf_counter()
    summary = ExportSummary(target=target.url)
    plans: list[tuple[LogSource, int, dict[str, Any], int]] = []
    for log in sources.logs:
        state = target.read_state(log.name)
        if since is not None:
            state = _restart_at(target, log.name, since)
        head = log.head()
        plans.append((log, int(state.get("position", 0)), state, head))
    total = sum(max(0, head - position) for _, position, _, head in plans)
    pseudonyms = Pseudonyms(sources.data_keys()) if total else Pseudonyms({})
    done = 0
    for log, start, state, head in plans:
        position = start
        result = summary.applications[log.name] = ApplicationSummary(
            last_position=position
        )
        builder = RowBuilder(log.name, pseudonyms)
        pending = state.get("pending")
        if pending and int(pending["last"]) > position:
            # A chunk a killed run began: the same chunk again, to the same files.
            for page in pages(log, position, chunk_size, stop=int(pending["last"])):
                _write_chunk(target, builder, log.name, page, result)
                done += len(page)
                position = page[-1][0]
            _record(target, log.name, position, result)
        for page in pages(log, position, chunk_size, stop=head):
            target.write_state(
                log.name,
                {
                    "position": position,
                    "pending": {"first": page[0][0], "last": page[-1][0]},
                    "exported_at": _now(),
                },
            )
            _write_chunk(target, builder, log.name, page, result)
            position = page[-1][0]
            _record(target, log.name, position, result)
            done += len(page)
            if progress is not None:
                progress(
                    ExportProgress(
                        application=log.name,
                        position=position,
                        head=head,
                        done=done,
                        total=total,
                        seconds=time.perf_counter() - started,
                    )
                )
    summary.seconds = time.perf_counter() - started
    return summary


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _record(
    target: ExportTarget, application: str, position: int, result: ApplicationSummary
) -> None:
    target.write_state(
        application,
        {"position": position, "pending": None, "exported_at": _now()},
    )
    result.last_position = position


def _restart_at(target: ExportTarget, application: str, since: int) -> dict[str, Any]:
    """Forget what was exported from the chunk holding ``since`` on: its files and
    later ones go, and the state goes back to just before that chunk."""
    current = target.read_state(application)
    if (
        current
        and since > int(current.get("position", 0))
        and not current.get("pending")
    ):
        return current  # nothing exported from there on yet
    files = target.files(application)
    starts = sorted({f.first_position for f in files if f.first_position <= since})
    restart = starts[-1] if starts else 1
    restart = min(restart, max(since, 1))
    for stored in files:
        if stored.first_position >= restart:
            target.delete(stored.path)
    state = {"position": restart - 1, "pending": None, "exported_at": _now()}
    target.write_state(application, state)
    return state


def _write_chunk(
    target: ExportTarget,
    builder: RowBuilder,
    application: str,
    page: list[Any],
    result: ApplicationSummary,
) -> None:
    first = page[0][0]
    families: dict[str, list[TopicColumns]] = {}
    for batch in builder.build(page):
        families.setdefault(batch.plan.family, []).append(batch)
    for family, batches in families.items():
        table = family_table(builder.family_kinds(family), batches)
        dates = table.column(PARTITION_COLUMN)
        unique = pc.unique(dates).to_pylist()
        for date in unique:
            part = table if len(unique) == 1 else table.filter(pc.equal(dates, date))
            target.write_table(
                target.data_path(family, date, application, first),
                part.drop_columns([PARTITION_COLUMN]),
            )
            result.files += 1
    result.events += len(page)
    if result.first_position is None:
        result.first_position = first


def family_schema(kinds: Mapping[str, ColumnKind]) -> pa.Schema:
    """The envelope's columns, then the family's fields (sorted), then the date."""
    return pa.schema(
        [
            *(
                pa.field(name, ARROW_TYPES[kind])
                for name, kind in ENVELOPE_KINDS.items()
            ),
            *(pa.field(name, ARROW_TYPES[kind]) for name, kind in kinds.items()),
            pa.field(PARTITION_COLUMN, pa.string()),
        ]
    )


def family_table(
    kinds: Mapping[str, ColumnKind], batches: list[TopicColumns]
) -> pa.Table:
    """One family's rows of a chunk as one table, in position order."""
    all_kinds = dict(kinds)
    for batch in batches:
        for name, kind in batch.plan.kinds.items():
            all_kinds.setdefault(name, kind)
    schema = family_schema(dict(sorted(all_kinds.items())))
    tables = []
    for batch in batches:
        rows = len(batch)
        arrays = []
        for column in schema:
            if column.name == PARTITION_COLUMN:
                arrays.append(pa.array(batch.dates, pa.string()))
                continue
            values = batch.columns.get(column.name)
            if values is None:
                arrays.append(pa.nulls(rows, column.type))
            elif pa.types.is_timestamp(column.type):
                arrays.append(pa.array(values, pa.string()).cast(column.type))
            else:
                arrays.append(pa.array(values, column.type))
        tables.append(pa.Table.from_arrays(arrays, schema=schema))
    table = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
    if len(tables) > 1:
        table = table.sort_by("position")
    return table


# --- Sources from the composition root -----------------------------------------------


def sources_of(container: Container) -> ExportSources:
    """The logs of every application the container runs, its users and their keys."""
    settings = container.settings
    logs: list[LogSource] = []
    postgres = settings.event_store_kind == "postgres" and settings.postgres_url
    for name, app in sorted(container.applications.items()):
        recorder = app.recorder
        datastore = getattr(recorder, "datastore", None)
        if (
            postgres
            and datastore is not None
            and hasattr(recorder, "events_table_name")
        ):
            assert settings.postgres_url
            logs.append(
                PostgresSource(
                    name,
                    settings.postgres_url,
                    datastore.schema,
                    recorder.events_table_name,
                )
            )
        else:
            logs.append(RecorderSource(name, recorder))
    identity = next((log for log in logs if log.name == IDENTITY_APPLICATION), None)
    data_keys = container.identity.data_keys

    def keys() -> dict[str, bytes | None]:
        user_ids = identity.user_ids() if identity is not None else []  # type: ignore[attr-defined]
        every = data_keys.every_key()
        return {user_id: every.get(user_id) for user_id in user_ids}

    namespace = settings.postgres_schema or ""
    first_postgres = next(
        (log for log in logs if isinstance(log, PostgresSource)), None
    )

    def lock(target: str) -> Any:
        if first_postgres is not None:
            key = (
                zlib.crc32(f"spotlight-analytics-export:{namespace}:{target}".encode())
                - 2**31
            )
            return first_postgres.lock(key)
        return _file_lock(settings.data_dir, target)

    return ExportSources(logs=logs, data_keys=keys, lock=lock)


@contextmanager
def _file_lock(directory: Path, target: str) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(target.encode()).hexdigest()[:16]
    path = directory / f"analytics-export-{digest}.lock"
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def pseudonym_for(container: Container, user_id: str | UUID) -> str | None:
    """The export's pseudonym of a living user (None once erased, or without a key):
    what a report scoped to one person (a mentor) filters on."""
    key = container.identity.data_keys.key_for_decryption(UUID(str(user_id)))
    return None if key is None else pseudonym_of(str(user_id), key)
