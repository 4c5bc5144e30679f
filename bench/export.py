"""Export benchmark: the event log replayed into Parquet, against a raw scan of it.

    python -m bench.export [--events 1000000] [--users 10000] [--chunk-size 100000]

1. In a fresh PostgreSQL schema, builds the service's four applications' tables and
   seeds ``--events`` events among them with ``COPY``: for ``--users`` people,
   identity's events as the service stores them (names, email and phone sealed with
   each person's key, made by the real mapper and vault), then a mix of the other
   contexts' events (NPOs and offerings with their profiles and contents, NPO
   members, candidates, roadmap items, meetings with attendees) in their stored
   JSON form, each naming people by user id.
2. Baseline: the raw ``select_notifications`` scan of every application's log, in
   pages of ``--chunk-size`` (what any replay must at least pay).
3. The export (``adapters.analytics.export.export_events``) to a temporary
   directory: decoding, field rules, pseudonyms, Arrow columns, Parquet (zstd).
4. Checks every exported event is there once (claims excepted, by design).

Prints a table, then one JSON line of the figures. The schema and the files are
removed at the end.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pyarrow.dataset as pads
from psycopg import sql
from rich.table import Table

from adapters.analytics.export import export_events
from adapters.bootstrap import Container, build_container
from adapters.settings import Settings
from bench.http import console, fresh_schema, say
from domain.base import acting_as
from domain.identity.user import OPERATOR, User
from domain.identity.values import LinkedIdentity, Profile, Role

POSTGRES_URL = os.environ.get(
    "SPOTLIGHT_TEST_POSTGRES_URL",
    "postgresql://spotlight:spotlight@127.0.0.1:55432/spotlight",
)
IDENTITY_EVENTS_PER_USER = 3
START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


@dataclass
class Figures:
    events: int = 0
    users: int = 0
    chunk_size: int = 0
    seed_seconds: float = 0.0
    scan_seconds: float = 0.0
    export_seconds: float = 0.0
    rows: int = 0
    files: int = 0
    bytes_written: int = 0
    # This process's CPU time (every thread): what the figures cost here, whatever
    # else the machine runs at the time.
    scan_cpu_seconds: float = 0.0
    export_cpu_seconds: float = 0.0
    load_before: float = 0.0
    load_after: float = 0.0

    @property
    def scan_eps(self) -> float:
        return self.events / self.scan_seconds

    @property
    def export_eps(self) -> float:
        return self.events / self.export_seconds

    def summary(self) -> dict[str, Any]:
        return {
            "bench": "export",
            "events": self.events,
            "export_eps": round(self.export_eps),
            "scan_eps": round(self.scan_eps),
            "ratio": round(self.export_eps / self.scan_eps, 2),
            "export_s": round(self.export_seconds, 2),
            "scan_s": round(self.scan_seconds, 2),
            "export_cpu_s": round(self.export_cpu_seconds, 2),
            "scan_cpu_s": round(self.scan_cpu_seconds, 2),
            "load_avg_before": round(self.load_before, 2),
            "load_avg_after": round(self.load_after, 2),
            "rows": self.rows,
            "files": self.files,
            "parquet_mb": round(self.bytes_written / 1e6, 1),
            "users": self.users,
            "chunk_size": self.chunk_size,
            "seed_eps": round(self.events / self.seed_seconds),
        }


# --- Seeding -------------------------------------------------------------------------


def stamp(moment: datetime) -> dict[str, str]:
    return {"_type_": "datetime_iso", "_data_": moment.isoformat()}


class Seeder:
    """Stored events of every context, as the service writes them, by COPY."""

    def __init__(self, container: Container, db: psycopg.Connection[Any], schema: str):
        self.container = container
        self.db = db
        self.schema = schema

    def identity_templates(self) -> list[tuple[str, bytes]]:
        """A person's three identity events, sealed by the real mapper, with
        ``__USER__`` where their id goes (the sealed values stay as sealed)."""
        identity = self.container.applications["identity"]
        user_id = uuid.uuid4()
        with acting_as(user_id, "bench"):
            user = User.register(
                user_id,
                LinkedIdentity("https://accounts.google.com", f"sub-{user_id.hex}"),
                email=f"person-{user_id.hex[:8]}@example.org",
                email_verified=True,
                first_name="Ada",
                last_name="Lovelace",
            )
            user.update_profile(
                Profile(first_name="Ada", phone="+14155550100"), START.date()
            )
            user.grant_role(Role.CAREER_MENTOR, OPERATOR)
        templates = []
        for event in user.collect_events():
            stored = identity.mapper.to_stored_event(event)
            state = stored.state.replace(str(user_id).encode(), b"__USER__")
            templates.append((stored.topic, state))
        return templates

    def seed(self, events: int, users: int) -> None:
        user_ids = [str(uuid.uuid4()) for _ in range(users)]
        self.copy_keys(user_ids)
        identity = self.identity_templates()
        identity_rows = [
            (user, version + 1, topic, state.replace(b"__USER__", user.encode()))
            for user in user_ids
            for version, (topic, state) in enumerate(identity)
        ]
        rest = max(0, events - len(identity_rows))
        self.copy("identity_events", identity_rows)
        del identity_rows
        per_context = rest // 3
        sizes = {
            "onboarding_events": per_context,
            "careers_events": per_context,
            "scheduling_events": rest - 2 * per_context,
        }
        makers = {
            "onboarding_events": onboarding_rows,
            "careers_events": careers_rows,
            "scheduling_events": scheduling_rows,
        }
        for table, size in sizes.items():
            self.copy(table, makers[table](size, user_ids))

    def copy_keys(self, user_ids: list[str]) -> None:
        self.container.identity.data_keys.setup()
        table = sql.Identifier(self.schema, "personal_data_keys")
        with (
            self.db.cursor() as cursor,
            cursor.copy(
                sql.SQL("COPY {} (subject_id, data_key, created_at) FROM STDIN").format(
                    table
                )
            ) as copy,
        ):
            for user_id in user_ids:
                copy.write_row((user_id, os.urandom(32), time.time()))

    def copy(
        self, table: str, rows: Iterator[tuple[str, int, str, bytes]] | list[Any]
    ) -> None:
        target = sql.Identifier(self.schema, table)
        with (
            self.db.cursor() as cursor,
            cursor.copy(
                sql.SQL(
                    "COPY {} (originator_id, originator_version, topic, state)"
                    " FROM STDIN"
                ).format(target)
            ) as copy,
        ):
            for row in rows:
                copy.write_row(row)


def _state(moment: datetime, actor: str, **fields: Any) -> bytes:
    return json.dumps(
        {
            "timestamp": stamp(moment),
            "actor_id": actor,
            "correlation_id": uuid.uuid4().hex,
            **fields,
        }
    ).encode()


def _moment(i: int, total: int) -> datetime:
    # Spread over about a month, in order.
    return START + timedelta(seconds=int(i * 30 * 24 * 3600 / max(total, 1)))


NPO = "domain.onboarding.npo:Npo"
OFFERING = "domain.onboarding.offering:Offering"
CANDIDATE = "domain.careers.candidate:Candidate"
ROADMAP = "domain.careers.roadmap:Roadmap"
MEETING = "domain.scheduling.meeting:Meeting"


def onboarding_rows(
    size: int, users: list[str]
) -> Iterator[tuple[str, int, str, bytes]]:
    """NPOs (registered, members added, verified) and their offerings."""
    i = 0
    while i < size:
        npo, owner = str(uuid.uuid4()), users[i % len(users)]
        leader = users[(i * 7 + 3) % len(users)]
        moment = _moment(i, size)
        profile = {
            "name": f"Helping Hands {i}",
            "description": "Career help for everyone.",
            "registration_id": f"EIN-{i:09d}",
            "website": "https://helping-hands.example",
            "location": {"region": "Bavaria", "country": "DE", "address": "1 Main St"},
            "contact": {"email": f"hello{i}@npo.example", "phone": "+14155550100"},
            "service_areas": ["resume-writing", "interview-prep"],
        }
        yield (
            npo,
            1,
            f"{NPO}.Registered",
            _state(
                moment, owner, originator_topic=NPO, creator_id=owner, profile=profile
            ),
        )
        for version in range(2, 6):
            member = users[(i + version) % len(users)]
            yield (
                npo,
                version,
                f"{NPO}.MemberAdded",
                _state(moment, owner, user_id=member),
            )
        yield (
            npo,
            6,
            f"{NPO}.Verified",
            _state(moment, leader, leader_id=leader, registration_id=None),
        )
        offering = str(uuid.uuid4())
        content = {
            "title": "Resume clinic",
            "summary": "One-to-one resume reviews.",
            "categories": ["resume_writing"],
            "tags": ["resumes", "career-change"],
            "description_html": "<p>Bring your CV.</p>",
            "links": [],
            "deadlines": [],
            "modules": [],
            "location": {"region": "Bavaria", "address": None, "remote": True},
            "eligibility": None,
            "attributes": {},
        }
        yield (
            offering,
            1,
            f"{OFFERING}.Created",
            _state(
                moment, owner, originator_topic=OFFERING, npo_id=npo, content=content
            ),
        )
        i += 7


def careers_rows(size: int, users: list[str]) -> Iterator[tuple[str, int, str, bytes]]:
    """Candidates (registered, waiting, mentor assigned) and their roadmaps' items."""
    i = 0
    sealed = {"_pii": "v1." + "QUJD" * 40}
    while i < size:
        candidate = users[i % len(users)]
        mentor = users[(i * 5 + 1) % len(users)]
        moment = _moment(i, size)
        candidate_id = str(uuid.uuid4())  # one candidate record per run of events
        yield (
            candidate_id,
            1,
            f"{CANDIDATE}.Registered",
            _state(moment, candidate, originator_topic=CANDIDATE, user_id=candidate),
        )
        yield (
            candidate_id,
            2,
            f"{CANDIDATE}.ProfileUpdated",
            _state(moment, candidate, profile=sealed, visibility="PRIVATE"),
        )
        yield (
            candidate_id,
            3,
            f"{CANDIDATE}.MentorAssigned",
            _state(
                moment,
                "system",
                candidate_id=candidate,
                mentor_id=mentor,
                reason="urgent need",
                since=moment.isoformat(),
            ),
        )
        roadmap = str(uuid.uuid4())
        yield (
            roadmap,
            1,
            f"{ROADMAP}.Started",
            _state(moment, candidate, originator_topic=ROADMAP, candidate_id=candidate),
        )
        for version in range(2, 6):
            yield (
                roadmap,
                version,
                f"{ROADMAP}.ItemApproved",
                _state(moment, mentor, item_id=f"item-{version}", position=version - 2),
            )
        for version in range(6, 9):
            yield (
                roadmap,
                version,
                f"{ROADMAP}.ModuleMarked",
                _state(
                    moment,
                    candidate,
                    item_id="item-2",
                    module_id=f"m{version}",
                    done=True,
                ),
            )
        i += 11


def scheduling_rows(
    size: int, users: list[str]
) -> Iterator[tuple[str, int, str, bytes]]:
    """Meetings requested, then booked with their attendees."""
    i = 0
    while i < size:
        organiser = users[i % len(users)]
        attendee = users[(i * 3 + 2) % len(users)]
        moment = _moment(i, size)
        meeting = str(uuid.uuid4())
        yield (
            meeting,
            1,
            f"{MEETING}.Requested",
            _state(
                moment,
                "system",
                originator_topic=MEETING,
                kind="intro",
                title="Intro",
                party_groups=[[organiser], [attendee]],
                organiser_id=organiser,
                duration_minutes=30,
                window_start=stamp(moment),
                window_end=stamp(moment + timedelta(days=7)),
                context={"candidate_id": attendee, "mentor_id": organiser},
            ),
        )
        yield (
            meeting,
            2,
            f"{MEETING}.Booked",
            _state(
                moment,
                "system",
                starts_at=stamp(moment + timedelta(days=1)),
                ends_at=stamp(moment + timedelta(days=1, minutes=30)),
                time_zone="Europe/Berlin",
                kind="intro",
                attendee_ids=[organiser, attendee],
            ),
        )
        i += 2


# --- Steps -------------------------------------------------------------------------


def scan(container: Container, chunk_size: int) -> int:
    """The raw scan: every application's ``select_notifications``, page by page."""
    seen = 0
    for app in container.applications.values():
        start = 1
        while True:
            page = app.recorder.select_notifications(start, chunk_size)
            if not page:
                break
            seen += len(page)
            start = page[-1].id + 1
    return seen


def run(args: argparse.Namespace, figures: Figures, tmp: Path) -> None:
    # One connection (autocommit) for the bench's own statements, as bench.http.
    with (
        psycopg.connect(args.postgres_url, autocommit=True) as db,
        fresh_schema(db, "bench_export") as schema,
    ):
        settings = Settings(
            data_dir=tmp / "data",
            postgres_url=args.postgres_url,
            postgres_schema=schema,
        )
        container = build_container(settings)
        try:
            container.identity.setup()
            say(f"seeding {args.events:,} events in schema {schema}…")
            started = time.perf_counter()
            Seeder(container, db, schema).seed(args.events, args.users)
            heads = {
                name: app.recorder.max_notification_id() or 0
                for name, app in container.applications.items()
            }
            figures.events = sum(heads.values())
            figures.seed_seconds = time.perf_counter() - started
            db.execute(sql.SQL("ANALYZE"))
            say(
                f"seeded {figures.events:,} events {heads} "
                f"in {figures.seed_seconds:.1f} s"
            )

            say("baseline: the raw select_notifications scan…")
            scan(container, args.chunk_size)  # warm the cache, as the export finds it
            started, cpu = time.perf_counter(), time.process_time()
            scanned = scan(container, args.chunk_size)
            figures.scan_seconds = time.perf_counter() - started
            figures.scan_cpu_seconds = time.process_time() - cpu
            assert scanned == figures.events, (scanned, figures.events)
            say(f"  {figures.scan_eps:,.0f} events/s")

            say("the export…")
            out = tmp / "analytics"
            profiler = cProfile.Profile() if args.profile else None
            if profiler is not None:
                profiler.enable()
            started, cpu = time.perf_counter(), time.process_time()
            summary = export_events(container, out, chunk_size=args.chunk_size)
            figures.export_seconds = time.perf_counter() - started
            figures.export_cpu_seconds = time.process_time() - cpu
            if profiler is not None:
                profiler.disable()
                text = io.StringIO()
                pstats.Stats(profiler, stream=text).sort_stats(
                    "cumulative"
                ).print_stats(30)
                console.print(text.getvalue(), markup=False)
            assert summary.events == figures.events, (summary.events, figures.events)
            say(f"  {figures.export_eps:,.0f} events/s")
            files = list((out / "events").rglob("*.parquet"))
            figures.files = len(files)
            figures.bytes_written = sum(f.stat().st_size for f in files)
            table = pads.dataset(
                out / "events", format="parquet", partitioning="hive"
            ).to_table(columns=["application", "position"])
            figures.rows = table.num_rows
            pairs = set(
                zip(
                    table.column("application").to_pylist(),
                    table.column("position").to_pylist(),
                    strict=True,
                )
            )
            assert len(pairs) == figures.rows, "an event was exported twice"
            assert figures.rows == figures.events, (figures.rows, figures.events)
        finally:
            container.close()


def print_table(figures: Figures) -> None:
    table = Table(title=f"Export of {figures.events:,} events (PostgreSQL → Parquet)")
    for column in ("case", "seconds", "events/s", "ratio"):
        table.add_column(column, justify="left" if column == "case" else "right")
    table.add_row(
        "raw select_notifications scan (baseline)",
        f"{figures.scan_seconds:.2f} ({figures.scan_cpu_seconds:.2f} CPU)",
        f"{figures.scan_eps:,.0f}",
        "1.00",
    )
    table.add_row(
        "export: decode, field rules, pseudonyms, Parquet",
        f"{figures.export_seconds:.2f} ({figures.export_cpu_seconds:.2f} CPU)",
        f"{figures.export_eps:,.0f}",
        f"{figures.export_eps / figures.scan_eps:.2f}",
    )
    console.print(table)
    console.print(
        f"{figures.rows:,} rows in {figures.files} files, "
        f"{figures.bytes_written / 1e6:.1f} MB (zstd); {figures.users:,} people; "
        f"chunks of {figures.chunk_size:,} events; load average "
        f"{figures.load_before:.1f} before, {figures.load_after:.1f} after",
        markup=False,
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--chunk-size", type=int, default=100_000)
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    figures = Figures(users=args.users, chunk_size=args.chunk_size)
    figures.load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        run(args, figures, Path(tmp))
    figures.load_after = os.getloadavg()[0]
    print_table(figures)
    print(json.dumps(figures.summary()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
