"""Events recorded by earlier code still load, and rebuild the same views.

Each fixture under ``tests/fixtures/stored_events/`` holds the SQLite files of a
``data_dir`` written by the code of its day, and what that code read from them
(``expected.json``; see the folder's README). Moving or renaming an event or
aggregate class changes the topic new events are stored under, never the stored
ones: those must go on resolving (``eventsourcing.utils.register_topic``), and every
projection must still recognise them.

The tests work on a copy: the committed files are never opened for writing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.utils import resolve_topic

from adapters.bootstrap import Container
from adapters.embedded.bus import InMemoryMessageBus
from adapters.embedded.cache import InMemoryCache
from adapters.embedded.documents import InMemoryDocumentStore
from adapters.embedded.views import SqliteRelationalStore
from domain.moved_topics import register_moved_topics
from projections.contracts import ViewNames, ViewPorts
from tests.fixtures.stored_events.snapshot import (
    DATA,
    JSON,
    aggregate_state,
    compose,
    copy_data,
    domain_event_classes,
    fixture_dirs,
    heads,
    originator_ids,
    read_expected,
    run_projections,
    snapshotted_types,
    stored_files,
    stored_topics,
    view_contents,
)

FIXTURES = fixture_dirs()

# Value objects that replaced JSON dicts in an aggregate's state since a fixture was
# recorded, each with exactly the dict's keys as its fields: the onboarding
# context's ``Npo.profile``, ``Offering.content`` and ``Offering.resources``
# (``initial`` holds them as dicts). ``normalise`` marks a value object with its
# class; compared without that marker, the state is the state recorded.
VALUE_OBJECTS_THAT_WERE_DICTS = frozenset(
    {
        "NpoProfile",
        "NpoLocation",
        "NpoContact",
        "OfferingContent",
        "OfferingLink",
        "OfferingDeadline",
        "OfferingModule",
        "OfferingLocation",
        "Resource",
    }
)


# Fields value objects gained since a fixture was recorded, with the value an
# aggregate loaded from older events holds: ``OfferingLocation.country``.
FIELDS_ADDED_SINCE: dict[str, dict[str, JSON]] = {
    "OfferingLocation": {"country": None},
}


def as_recorded(value: JSON) -> JSON:
    """``value`` with those value objects shown as the dicts they replaced, less
    the fields added since that hold what older events leave in them."""
    if isinstance(value, dict):
        added = FIELDS_ADDED_SINCE.get(str(value.get("__class__")), {})
        return {
            k: as_recorded(v)
            for k, v in value.items()
            if not (k == "__class__" and v in VALUE_OBJECTS_THAT_WERE_DICTS)
            and not (k in added and v == added[k])
        }
    if isinstance(value, list):
        return [as_recorded(v) for v in value]
    return value


RECORD_A_FIXTURE = (
    "record a new fixture with `python -m tests.fixtures.stored_events.build NAME` "
    "and keep the old ones (tests/fixtures/stored_events/README.md)"
)


def test_there_is_a_fixture() -> None:
    assert FIXTURES, "no fixture under tests/fixtures/stored_events/"


@pytest.fixture(autouse=True)
def moved_topics_registered() -> None:
    """As every application does before it reads an event (whatever ran before)."""
    register_moved_topics()


@pytest.fixture(params=FIXTURES, ids=[f.name for f in FIXTURES])
def fixture(request: pytest.FixtureRequest) -> Path:
    found: Path = request.param
    return found


def digests(fixture: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((fixture / DATA).iterdir())
    }


@dataclass
class Restored:
    """A copy of a fixture's files, composed as ``make run`` composes them."""

    fixture: Path
    expected: dict[str, JSON]
    container: Container


@pytest.fixture
def restored(fixture: Path, tmp_path: Path) -> Iterator[Restored]:
    data_dir = tmp_path / "data"
    copy_data(fixture / DATA, data_dir)
    # Views, tracking and the inbound dedup table start from nothing.
    assert sorted(p.name for p in data_dir.iterdir()) == sorted(
        p.name for p in stored_files(data_dir)
    )
    container = compose(data_dir)
    try:
        yield Restored(fixture, read_expected(fixture), container)
    finally:
        container.close()


def test_the_committed_files_are_those_recorded(fixture: Path) -> None:
    assert digests(fixture) == read_expected(fixture)["files"]


def test_every_stored_topic_still_resolves(fixture: Path) -> None:
    unresolved = []
    for path in stored_files(fixture / DATA):
        if not path.name.startswith("events-"):
            continue
        for topic in sorted(stored_topics(path).all):
            try:
                resolve_topic(topic)
            except Exception as error:  # noqa: BLE001 - each one is reported
                unresolved.append(f"{path.name}: {topic!r} ({type(error).__name__})")

    # Check every topic names a class today (event, aggregate or snapshot class).
    assert not unresolved, (
        "stored topics that no longer resolve; register each old topic for the "
        "class's new place with eventsourcing.utils.register_topic:\n  "
        + "\n  ".join(unresolved)
    )


def _resolved(topics: frozenset[str]) -> set[Any]:
    found = set()
    for topic in topics:
        try:
            found.add(resolve_topic(topic))
        except Exception:  # noqa: BLE001, S112 - reported by the test above
            continue
    return found


def test_every_event_class_of_the_domain_is_in_a_fixture() -> None:
    recorded: set[Any] = set()
    snapshotted: dict[str, set[Any]] = {}
    for fixture in FIXTURES:
        for path in stored_files(fixture / DATA):
            if not path.name.startswith("events-"):
                continue
            topics = stored_topics(path)
            recorded |= _resolved(topics.events)
            application = path.stem.removeprefix("events-")
            snapshotted.setdefault(application, set()).update(
                _resolved(topics.snapshotted)
            )

    # Check each class of event the code can record is stored in some fixture.
    missing = [t for t, c in domain_event_classes().items() if c not in recorded]
    assert not missing, (
        "event classes no fixture holds an event of: " + ", ".join(missing) + "; "
        f"{RECORD_A_FIXTURE}"
    )

    # Check each aggregate type an application snapshots has a stored snapshot.
    unsnapshotted = [
        f"{application}: {aggregate_type.__qualname__}"
        for application, types in snapshotted_types().items()
        for aggregate_type in types
        if aggregate_type not in snapshotted.get(application, set())
    ]
    assert not unsnapshotted, (
        "snapshotted aggregate types with no stored snapshot: "
        + ", ".join(unsnapshotted)
        + f"; {RECORD_A_FIXTURE}"
    )


def test_every_stored_aggregate_loads_as_it_did(restored: Restored) -> None:
    expected: dict[str, dict[str, JSON]] = restored.expected["aggregates"]
    applications = restored.container.applications
    assert set(expected) <= set(applications)
    # An application added since the fixture was recorded has an empty log.
    for name in set(applications) - set(expected):
        assert not originator_ids(applications[name]), name
    for name, app in sorted(applications.items()):
        if name not in expected:
            continue
        ids = originator_ids(app)
        # Check the log holds the same aggregates.
        assert sorted(str(i) for i in ids) == sorted(expected[name]), name
        for aggregate_id in ids:
            # Check each loads (through snapshots, upcasters, decryption) with the
            # same type and state.
            loaded = aggregate_state(app.repository.get(aggregate_id))
            was = expected[name][str(aggregate_id)]
            assert as_recorded(loaded) == as_recorded(was), (
                f"{name} {was['type']} {aggregate_id}"
            )


def test_views_rebuilt_from_the_stored_events_are_as_they_were(
    restored: Restored,
) -> None:
    container, expected = restored.container, restored.expected
    before = digests(restored.fixture)
    assert _recorded_heads(container, expected) == expected["heads"]

    # Rebuild every projection from the first event (and replay the process
    # manager, whose commands find everything done already).
    run_projections(container)

    # Check rebuilding recorded nothing new.
    assert _recorded_heads(container, expected) == expected["heads"], (
        "rebuilding the views recorded new events: a reaction is not idempotent"
    )

    # Check each view, part by part, equals what the recording code made; a view
    # added since has nothing recorded to compare with (its tables are its own).
    rebuilt = view_contents(container)
    was = expected["views"]
    assert sorted(rebuilt) == sorted(was)
    added = tables_of_views_added_since(container, set(was["tables"]))
    assert sorted(set(rebuilt["tables"]) - added) == sorted(was["tables"])
    assert sorted(rebuilt["documents"]) == sorted(was["documents"])
    for part in ("tables", "documents"):
        for name in sorted(was[part]):
            assert rebuilt[part][name] == was[part][name], f"{part}: {name}"
    assert rebuilt["cache"] == was["cache"]
    assert rebuilt["messages"] == was["messages"]

    # Check the committed files were not touched (the service ran on a copy).
    assert digests(restored.fixture) == before


def tables_of_views_added_since(container: Container, recorded: set[str]) -> set[str]:
    """The tables of the projections none of whose tables the fixture recorded,
    each projection's found by setting it up alone on an empty store."""
    added: set[str] = set()
    for name, projection in container.engine.projection_types.items():
        store = SqliteRelationalStore(None)
        try:
            ports = ViewPorts(
                InMemoryDocumentStore(), InMemoryCache(), InMemoryMessageBus()
            )
            with store.transaction() as session:
                projection(ViewNames(name, 1), ports).setup(session)
                tables = {
                    str(r[0])[: -len("_v1")]
                    for r in session.fetchall(
                        "SELECT name FROM sqlite_master WHERE type = 'table'"
                    )
                    if str(r[0]).endswith("_v1")
                }
        finally:
            store.close()
        if not tables & recorded:
            added |= tables
    return added


def _recorded_heads(container: Container, expected: dict[str, Any]) -> dict[str, int]:
    """Heads of the applications the fixture recorded; one added since is empty."""
    now = heads(container)
    added = {name: head for name, head in now.items() if name not in expected["heads"]}
    assert all(head == 0 for head in added.values()), added
    return {name: head for name, head in now.items() if name in expected["heads"]}
