"""The replay benchmark's workload and views, on the embedded stores.

The benchmark folds each batch before writing it; these tests check that folding
changes nothing: views built in batches equal views built one event at a time, and
applying a batch again leaves the documents and cache values as they were.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from adapters.embedded.bus import InMemoryMessageBus
from adapters.embedded.cache import InMemoryCache
from adapters.embedded.documents import InMemoryDocumentStore
from adapters.embedded.views import SqliteRelationalStore
from bench.domain import BenchPlatform, Expected, workload
from bench.replay import check_tables
from bench.replay_figures import percentile
from bench.views.cache import PlatformCache
from bench.views.documents import PlatformDocuments, fold_documents
from bench.views.tables import TABLES, PlatformTables
from projections.contracts import ProjectedEvent, ViewNames, ViewPorts
from projections.engine import ProjectionEngine


def seeded(total: int) -> tuple[BenchPlatform, Expected]:
    app = BenchPlatform(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    batches, expected = workload(total)
    for aggregates in batches:
        app.save(*aggregates)
    return app, expected


@dataclass
class Views:
    store: SqliteRelationalStore
    documents: InMemoryDocumentStore
    cache: InMemoryCache
    engine: ProjectionEngine

    def tables(self) -> dict[str, list[tuple[Any, ...]]]:
        with self.store.transaction() as session:
            return {
                t.base: session.fetchall(f"SELECT * FROM {t.base}_v1 ORDER BY id")
                for t in TABLES
            }

    def docs(self) -> dict[str, list[dict[str, Any]]]:
        return {
            name: sorted(self.documents.find(name), key=lambda d: str(d["_id"]))
            for name in ("offerings_v1", "roadmaps_v1")
        }

    def cached(self) -> dict[str, Any]:
        keys = self.cache.keys("bench:")
        return {k: json.loads(self.cache.get(k) or b"null") for k in keys}


@pytest.fixture
def views() -> Iterator[Any]:
    made: list[Views] = []

    def make(app: BenchPlatform, batch_size: int) -> Views:
        store, documents, cache = (
            SqliteRelationalStore(None),
            InMemoryDocumentStore(),
            InMemoryCache(),
        )
        engine = ProjectionEngine(
            store,
            {app.name: app},
            [PlatformTables, PlatformDocuments, PlatformCache],
            ViewPorts(documents, cache, InMemoryMessageBus()),
            batch_size=batch_size,
        )
        made.append(Views(store, documents, cache, engine))
        return made[-1]

    yield make
    for each in made:
        each.store.close()


@pytest.mark.parametrize("total", [1, 2, 7, 62, 1000, 1234])
def test_the_workload_has_exactly_the_events_asked_for(total: int) -> None:
    app, expected = seeded(total)

    assert app.recorder.max_notification_id() == total
    assert expected.events == total
    notifications = app.recorder.select_notifications(start=None, limit=total + 1)
    names = Counter(n.topic.rsplit(".", 1)[-1] for n in notifications)
    assert names["Registered"] == expected.npos
    assert names["Offered"] == expected.offerings
    assert names["Enrolled"] == expected.enrollments
    assert names["StepCompleted"] == expected.steps
    assert names["Completed"] == expected.completed


def test_views_built_in_batches_equal_views_built_event_by_event(
    views: Any,
) -> None:
    app, expected = seeded(2500)
    batched: Views = views(app, 333)  # aggregates straddle batches
    single: Views = views(app, 1)

    # Check every projection read every event, in both.
    assert batched.engine.catch_up() == 3 * 2500
    assert single.engine.catch_up() == 3 * 2500

    # Check the tables show what the events imply, and are the same both ways.
    check_tables(batched.store, expected)
    assert batched.tables() == single.tables()
    assert batched.docs() == single.docs()
    assert batched.cached() == single.cached()
    roadmaps = batched.docs()["roadmaps_v1"]
    assert len(roadmaps) == expected.enrollments
    assert sum(r["step"] for r in roadmaps) == expected.steps
    assert len(batched.cached()) == expected.enrollments + expected.offerings


def test_applying_a_batch_again_changes_no_document_or_cache_value(
    views: Any,
) -> None:
    app, _ = seeded(600)
    built: Views = views(app, 100)
    built.engine.catch_up()
    docs, cached = built.docs(), built.cached()
    notifications = app.recorder.select_notifications(start=200, limit=300)
    events = [ProjectedEvent(app.name, n, app.mapper) for n in notifications]
    ports = ViewPorts(built.documents, built.cache, InMemoryMessageBus())

    # As after a crash between a batch's effects and its position.
    with built.store.transaction() as session:
        PlatformDocuments(ViewNames(PlatformDocuments.name, 1), ports).apply(
            session, events
        )
        PlatformCache(ViewNames(PlatformCache.name, 1), ports).apply(session, events)

    assert built.docs() == docs
    assert built.cached() == cached


def test_a_batch_folds_to_one_change_per_document() -> None:
    app, expected = seeded(1000)
    notifications = app.recorder.select_notifications(start=None, limit=1000)

    changes = fold_documents(
        [ProjectedEvent(app.name, n, app.mapper) for n in notifications]
    )

    assert len(changes) == expected.offerings + expected.enrollments
    assert all(c.created for c in changes)  # every aggregate began in this batch
    assert {c.fields.get("status") for c in changes if c.kind == "offering"} <= {
        "published",
        "closed",
    }


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile([3.0], 99) == 3.0
