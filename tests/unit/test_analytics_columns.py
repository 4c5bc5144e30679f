"""Arrow's JSON reader and the standard library's decoder make the same tables; where
the states do not fit the exported fields' schema, the reference makes them."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pyarrow as pa

from adapters.analytics.columns import ChunkTables
from bench.export import careers_rows, onboarding_rows, scheduling_rows
from projections.analytics.pseudonyms import Pseudonyms
from projections.analytics.rows import RowBuilder, StoredRecord

USERS = [str(uuid.uuid4()) for _ in range(20)]


def records(rows: list[tuple[str, int, str, bytes]]) -> list[StoredRecord]:
    return [
        (position, originator, version, topic, state)
        for position, (originator, version, topic, state) in enumerate(rows, 1)
    ]


def both(
    chunk: list[StoredRecord], *, by_arrow: bool = True
) -> tuple[dict[str, pa.Table], dict[str, pa.Table]]:
    """The chunk's tables made both ways; ``by_arrow``: whether Arrow's reader
    made every topic's (else the reference made every one)."""
    pseudonyms = Pseudonyms({u: bytes(32) for u in USERS}, run_key=b"r" * 32)
    arrow = ChunkTables(RowBuilder("app", pseudonyms))
    fast = arrow.tables(chunk)
    again = Pseudonyms({u: bytes(32) for u in USERS}, run_key=b"r" * 32)
    reference = ChunkTables(RowBuilder("app", again), arrow_json=False)
    slow = reference.tables(chunk)
    assert reference.by_arrow == 0
    if by_arrow:
        assert arrow.by_arrow > 0
        assert arrow.by_reference == 0
    else:
        assert arrow.by_arrow == 0
        assert arrow.by_reference > 0
    return fast, slow


def test_both_ways_give_the_same_tables_for_every_context() -> None:
    for make in (onboarding_rows, careers_rows, scheduling_rows):
        chunk = records(list(make(60, USERS)))
        fast, reference = both(chunk)
        assert fast.keys() == reference.keys()
        for family, table in fast.items():
            assert table.schema == reference[family].schema, family
            assert table.to_pylist() == reference[family].to_pylist(), family
            assert table.num_rows > 0


def test_user_ids_are_pseudonyms_in_every_column() -> None:
    chunk = records(list(scheduling_rows(10, USERS)) + list(onboarding_rows(14, USERS)))
    fast, _ = both(chunk)
    text = json.dumps([t.to_pylist() for t in fast.values()], default=str)
    assert not any(user in text for user in USERS)
    assert "u_" in text


def test_states_that_do_not_fit_go_the_reference_way() -> None:
    topic = "domain.careers.roadmap:Roadmap.ItemApproved"
    stamp = {"_type_": "datetime_iso", "_data_": "2026-01-05T10:00:00+01:00"}

    def state(**fields: Any) -> bytes:
        return json.dumps(
            {"timestamp": stamp, "actor_id": USERS[0], "correlation_id": "c", **fields}
        ).encode()

    odd: list[StoredRecord] = [
        (1, USERS[1], 2, topic, state(item_id={"_pii": "v1.x"}, position=1)),
        (2, USERS[1], 3, topic, state(item_id="i", position="first")),
    ]
    fast, reference = both(odd, by_arrow=False)
    assert fast["roadmap"].to_pylist() == reference["roadmap"].to_pylist()
    rows = fast["roadmap"].to_pylist()
    assert rows[0]["item_id"] is None
    assert rows[1]["field_position"] is None
    # Check a time with an offset is in UTC, and dates are taken from it.
    assert str(rows[0]["timestamp"]) == "2026-01-05 09:00:00+00:00"
    assert fast["roadmap"].column("date").to_pylist() == ["2026-01-05"] * 2


def test_missing_and_null_dicts_read_as_nulls_both_ways() -> None:
    topic = "domain.onboarding.npo:Npo.ProfileUpdated"
    stamp = {"_type_": "datetime_iso", "_data_": "2026-01-05T10:00:00+00:00"}

    def state(**fields: Any) -> bytes:
        return json.dumps(
            {"timestamp": stamp, "actor_id": "system", "correlation_id": "c", **fields}
        ).encode()

    chunk: list[StoredRecord] = [
        (1, "n", 2, topic, state(profile=None)),
        (2, "n", 3, topic, state(profile={"name": "Quokka"})),
        (3, "n", 4, topic, state(profile={"location": {"region": "Bavaria"}})),
        (4, "n", 5, topic, state()),
    ]
    fast, reference = both(chunk)
    rows = fast["npo"].to_pylist()
    assert rows == reference["npo"].to_pylist()
    assert [r["profile_location_region"] for r in rows] == [None, None, "Bavaria", None]
    assert "Quokka" not in str(rows)


def test_the_bench_seeds_events_of_real_classes() -> None:
    builder = RowBuilder("app", Pseudonyms({}))
    for make in (onboarding_rows, careers_rows, scheduling_rows):
        for _, _, topic, _ in make(30, USERS):
            plan = builder.plan(topic)
            assert plan.readers, topic  # a domain class, with exported fields
