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
import hmac
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

import pyarrow as pa
import pyarrow.compute as pc

from adapters.analytics import DEFAULT_CHUNK_SIZE
from adapters.analytics.columns import ChunkTables
from adapters.analytics.sources import (
    IDENTITY_APPLICATION,
    ExportSources,
    LogSource,
    PostgresSource,
    RecorderSource,
)
from adapters.analytics.target import ExportTarget
from adapters.settings import Settings
from projections.analytics.fields import PARTITION_COLUMN
from projections.analytics.pseudonyms import Pseudonyms, pseudonym_of
from projections.analytics.rows import RowBuilder, StoredRecord

if TYPE_CHECKING:
    from adapters.bootstrap import Container


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
    keys = sources.data_keys() if total else {}
    pseudonyms = Pseudonyms(keys, id_key=sources.id_key)
    run = _Run(target, chunk_size, progress, total, started)
    # One thread reads the next chunk and one writes the last while this one
    # turns the current chunk into tables.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="export") as pool:
        for log, start, state, head in plans:
            result = summary.applications[log.name] = ApplicationSummary(
                last_position=start
            )
            chunks = ChunkTables(RowBuilder(log.name, pseudonyms))
            run.log(
                pool,
                log=log,
                chunks=chunks,
                position=start,
                pending=state.get("pending"),
                head=head,
                result=result,
            )
    summary.seconds = time.perf_counter() - started
    return summary


class _Run:
    """One export's chunks: read ahead, turned into tables, written behind."""

    def __init__(
        self,
        target: ExportTarget,
        chunk_size: int,
        progress: Progress | None,
        total: int,
        started: float,
    ) -> None:
        self.target = target
        self.chunk_size = chunk_size
        self.progress = progress
        self.total = total
        self.started = started
        self.done = 0

    def log(
        self,
        pool: ThreadPoolExecutor,
        *,
        log: LogSource,
        chunks: ChunkTables,
        position: int,
        pending: dict[str, Any] | None,
        head: int,
        result: ApplicationSummary,
    ) -> None:
        name = log.name
        last = int(pending["last"]) if pending else 0
        if last > position:
            # A chunk a killed run began: the same chunk again, as one chunk
            # whatever this run's chunk size, to the same files.
            page = log.read(position, last - position, stop=last)
            if page:
                _write_chunk(self.target, name, page, chunks.tables(page), result)
                self.done += len(page)
                position = page[-1][0]
            _record(self.target, name, position, result)
        reading = pool.submit(log.read, position, self.chunk_size, head)
        writing: Future[None] | None = None
        written: list[StoredRecord] = []
        while True:
            page = reading.result()
            if not page:
                break
            if page[-1][0] < head:
                reading = pool.submit(log.read, page[-1][0], self.chunk_size, head)
            else:
                reading = _finished([])
            tables = chunks.tables(page)
            if writing is not None:
                writing.result()
                self._report(name, written, head)
            # The chunk is named pending (after the last one was recorded), then
            # written, then recorded.
            self.target.write_state(
                name,
                {
                    "position": position,
                    "pending": {"first": page[0][0], "last": page[-1][0]},
                    "exported_at": _now(),
                },
            )
            writing = pool.submit(
                _write_and_record, self.target, name, page, tables, result
            )
            written, position = page, page[-1][0]
        if writing is not None:
            writing.result()
            self._report(name, written, head)

    def _report(self, name: str, page: list[StoredRecord], head: int) -> None:
        self.done += len(page)
        if self.progress is not None:
            self.progress(
                ExportProgress(
                    application=name,
                    position=page[-1][0],
                    head=head,
                    done=self.done,
                    total=self.total,
                    seconds=time.perf_counter() - self.started,
                )
            )


def _finished(value: list[StoredRecord]) -> Future[list[StoredRecord]]:
    future: Future[list[StoredRecord]] = Future()
    future.set_result(value)
    return future


def _write_and_record(
    target: ExportTarget,
    application: str,
    page: list[StoredRecord],
    tables: dict[str, pa.Table],
    result: ApplicationSummary,
) -> None:
    _write_chunk(target, application, page, tables, result)
    _record(target, application, page[-1][0], result)


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
    application: str,
    page: list[StoredRecord],
    tables: dict[str, pa.Table],
    result: ApplicationSummary,
) -> None:
    """One file per (family, date), named by the chunk's first position."""
    first = page[0][0]
    for family, table in tables.items():
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
        user_ids = identity.user_ids() if identity is not None else []
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

    return ExportSources(
        logs=logs, data_keys=keys, lock=lock, id_key=export_id_key(settings)
    )


def export_id_key(settings: Settings) -> bytes:
    """The key of keyed aggregate ids, from the platform's pseudonym secret."""
    return hmac.new(
        settings.pseudonym_key, b"spotlight analytics ids", hashlib.sha256
    ).digest()


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
