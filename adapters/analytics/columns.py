"""A chunk of stored events as Arrow tables, one per family, column by column.

Two ways to the same rows:

- **The reference** (``RowBuilder.columns``): each state decoded with the standard
  library's ``json``, each column read in Python. Always right; what the unit tests
  pin down.
- **Arrow's JSON reader**, tried first for each topic: the topic's states, one per
  line, parsed by pyarrow (C++, on every core) against an explicit schema of the
  envelope's keys and the event's *exported* fields only, everything else in the
  state (sealed personal fields, free text) being ignored unparsed. User ids are
  replaced with pseudonyms column-wise. Whenever the states do not fit that schema
  (a value of another type, a sealed value where an exported one belongs, a time
  not in UTC), the topic's events go the reference way instead.

``tests/unit/test_analytics_columns.py`` checks both give the same tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from domain.base import SYSTEM_ACTOR
from projections.analytics.fields import PARTITION_COLUMN, ColumnKind
from projections.analytics.pseudonyms import Pseudonyms
from projections.analytics.rows import (
    ENVELOPE_KINDS,
    EventPlan,
    RowBuilder,
    StoredRecord,
    group_by_topic,
)

TIMESTAMP = pa.timestamp("us", tz="UTC")
ARROW_TYPES: dict[ColumnKind, pa.DataType] = {
    ColumnKind.STRING: pa.string(),
    ColumnKind.INT: pa.int64(),
    ColumnKind.FLOAT: pa.float64(),
    ColumnKind.BOOL: pa.bool_(),
    ColumnKind.TIMESTAMP: TIMESTAMP,
    ColumnKind.STRINGS: pa.list_(pa.string()),
}
# How a value of each kind is stored in an event's JSON state.
_STAMP = pa.struct([("_data_", pa.string())])
_JSON_TYPES: dict[ColumnKind, pa.DataType] = {
    **ARROW_TYPES,
    ColumnKind.TIMESTAMP: _STAMP,
}
_UTC = "+00:00"


def family_schema(kinds: Mapping[str, ColumnKind]) -> pa.Schema:
    """The envelope's columns, then the family's fields (sorted), then the date."""
    return pa.schema(
        [
            *(pa.field(n, ARROW_TYPES[k]) for n, k in ENVELOPE_KINDS.items()),
            *(pa.field(n, ARROW_TYPES[k]) for n, k in sorted(kinds.items())),
            pa.field(PARTITION_COLUMN, pa.string()),
        ]
    )


class ChunkTables:
    """Turns chunks of one application's log into one Arrow table per family."""

    def __init__(self, builder: RowBuilder, *, arrow_json: bool = True) -> None:
        self.builder = builder
        self.arrow_json = arrow_json
        self._json_schemas: dict[str, pa.Schema] = {}
        # How many topic groups went each way (the bench and the tests look).
        self.by_arrow = 0
        self.by_reference = 0

    @property
    def pseudonyms(self) -> Pseudonyms:
        return self.builder.pseudonyms

    def tables(self, records: Iterable[StoredRecord]) -> dict[str, pa.Table]:
        """Each family's rows of the chunk, in position order, with their date."""
        families: dict[str, list[pa.Table]] = {}
        for topic, group in group_by_topic(records).items():
            plan = self.builder.plan(topic)
            if not plan.exported:
                continue
            table = self._by_arrow(plan, group) if self.arrow_json else None
            if table is None:
                table = self._by_reference(plan, group)
                self.by_reference += 1
            else:
                self.by_arrow += 1
            families.setdefault(plan.family, []).append(table)
        out = {}
        for family, tables in families.items():
            kinds = dict(self.builder.family_kinds(family))
            for table in tables:
                for column in table.schema:
                    known = column.name in kinds or column.name in ENVELOPE_KINDS
                    if not known and column.name != PARTITION_COLUMN:
                        kinds[column.name] = _kind_of(column.type)
            schema = family_schema(kinds)
            conformed = [_conform(table, schema) for table in tables]
            joined = pa.concat_tables(conformed) if len(conformed) > 1 else conformed[0]
            if len(conformed) > 1:
                joined = joined.sort_by("position")
            out[family] = joined
        return out

    # -- The reference ----------------------------------------------------------------

    def _by_reference(self, plan: EventPlan, group: list[StoredRecord]) -> pa.Table:
        batch = self.builder.columns(plan, group)
        arrays: dict[str, pa.Array] = {}
        for name, kind in ENVELOPE_KINDS.items():
            arrays[name] = _array(batch.columns[name], kind)
        for name, kind in plan.kinds.items():
            arrays[name] = _array(batch.columns[name], kind)
        arrays[PARTITION_COLUMN] = pa.array(batch.dates, pa.string())
        return pa.table(arrays)

    # -- Arrow's JSON reader ----------------------------------------------------------

    def _json_schema(self, plan: EventPlan) -> pa.Schema:
        found = self._json_schemas.get(plan.topic)
        if found is not None:
            return found
        tree: dict[str, Any] = {
            "timestamp": _STAMP,
            "actor_id": pa.string(),
            "correlation_id": pa.string(),
        }
        for column, name, path, _ in plan.readers:
            kind = plan.kinds[column]
            if not path:
                tree[name] = _JSON_TYPES[kind]
                continue
            node = tree.setdefault(name, {})
            if not isinstance(node, dict):
                continue
            for part in path[:-1]:
                node = node.setdefault(part, {})
            node[path[-1]] = _JSON_TYPES[kind]
        schema = pa.schema([(k, _struct_of(v)) for k, v in tree.items()])
        self._json_schemas[plan.topic] = schema
        return schema

    def _by_arrow(self, plan: EventPlan, group: list[StoredRecord]) -> pa.Table | None:
        # One state a line (the transcoder's JSON holds no raw newline; if one
        # did, the row count would not match and the reference would be used).
        texts = [r[4] for r in group if isinstance(r[4], str)]
        if len(texts) == len(group):
            body = "\n".join(texts).encode()
        else:
            body = b"\n".join(
                r[4] if isinstance(r[4], bytes) else r[4].encode() for r in group
            )
        try:
            parsed = pj.read_json(
                pa.BufferReader(body),
                read_options=pj.ReadOptions(block_size=max(1 << 20, len(body) // 4)),
                parse_options=pj.ParseOptions(
                    explicit_schema=self._json_schema(plan),
                    unexpected_field_behavior="ignore",
                ),
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
        rows = len(group)
        if parsed.num_rows != rows:
            return None
        stamps = pc.struct_field(parsed.column("timestamp").combine_chunks(), [0])
        if stamps.null_count or not pc.all(pc.ends_with(stamps, _UTC)).as_py():
            return None
        arrays: dict[str, pa.Array] = {
            "application": pa.array([self.builder.application] * rows, pa.string()),
            "position": pa.array([r[0] for r in group], pa.int64()),
            "aggregate_type": pa.array([plan.aggregate_type] * rows, pa.string()),
            "aggregate_id": self._aggregate_ids(plan, group),
            "event_type": pa.array([plan.event_type] * rows, pa.string()),
            "version": pa.array([r[2] for r in group], pa.int64()),
            "timestamp": stamps.cast(TIMESTAMP),
            "actor": self._substitute(
                parsed.column("actor_id").combine_chunks(), actor=True
            ),
            "correlation_id": self._substitute(
                parsed.column("correlation_id").combine_chunks()
            ),
        }
        for column, name, path, _ in plan.readers:
            values = parsed.column(name).combine_chunks()
            if path:
                values = pc.struct_field(values, _indices(values.type, path))
            kind = plan.kinds[column]
            if kind is ColumnKind.STRING:
                values = self._substitute(values)
            elif kind is ColumnKind.STRINGS:
                values = self._substitute_lists(values)
            elif kind is ColumnKind.TIMESTAMP:
                times = pc.struct_field(values, [0])
                if not pc.all(pc.ends_with(times, _UTC)).as_py() and (
                    times.null_count < len(times)
                ):
                    return None
                values = times.cast(TIMESTAMP)
            arrays[column] = values
        arrays[PARTITION_COLUMN] = pc.utf8_slice_codeunits(stamps, 0, 10)
        return pa.table(arrays)

    def _aggregate_ids(self, plan: EventPlan, group: list[StoredRecord]) -> pa.Array:
        ids = [o if type(o) is str else str(o) for _, o, _, _, _ in group]
        if plan.keyed_ids:
            keyed = self.pseudonyms.keyed_id
            return pa.array([keyed(i) for i in ids], pa.string())
        return self._substitute(pa.array(ids, pa.string()))

    def _substitute(self, values: pa.Array, *, actor: bool = False) -> pa.Array:
        """Every user id in ``values`` replaced by its pseudonym (and, for actors,
        any other id but the system's by a pseudonym of the run).

        Each distinct value is looked up once: the column is dictionary-encoded,
        its dictionary mapped, and the column taken back through it.
        """
        encoded = pc.dictionary_encode(values)
        distinct = encoded.dictionary.to_pylist()
        get = self.pseudonyms.substitutions.get
        mapped = [get(v) for v in distinct]
        if actor:
            mapped = [
                m if m is not None or v == SYSTEM_ACTOR else self.pseudonyms.of(v)
                for v, m in zip(distinct, mapped, strict=True)
            ]
        if not any(mapped):
            return values
        dictionary = pa.array(
            [v if m is None else m for v, m in zip(distinct, mapped, strict=True)],
            pa.string(),
        )
        return pc.take(dictionary, encoded.indices)

    def _substitute_lists(self, values: pa.Array) -> pa.Array:
        flat = self._substitute(values.values)
        return pa.ListArray.from_arrays(
            values.offsets, flat, mask=values.is_null() if values.null_count else None
        )


def _struct_of(tree: Any) -> pa.DataType:
    if isinstance(tree, dict):
        return pa.struct([(k, _struct_of(v)) for k, v in tree.items()])
    return tree


def _indices(struct_type: pa.DataType, path: tuple[str, ...]) -> list[int]:
    indices = []
    for part in path:
        index = struct_type.get_field_index(part)
        indices.append(index)
        struct_type = struct_type.field(index).type
    return indices


def _array(values: list[Any], kind: ColumnKind) -> pa.Array:
    if kind is ColumnKind.TIMESTAMP:
        return pa.array(values, pa.string()).cast(TIMESTAMP)
    return pa.array(values, ARROW_TYPES[kind])


def _kind_of(data_type: pa.DataType) -> ColumnKind:
    for kind, arrow in ARROW_TYPES.items():
        if arrow == data_type:
            return kind
    return ColumnKind.STRING


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with ``schema``'s columns, in order, null where it has none."""
    rows = table.num_rows
    names = set(table.column_names)
    return pa.table(
        [
            table.column(f.name) if f.name in names else pa.nulls(rows, f.type)
            for f in schema
        ],
        schema=schema,
    )
