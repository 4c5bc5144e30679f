"""Stored events -> export rows: the envelope and the exposed fields, by family.

A stored event (position, originator id and version, topic, state bytes as the
event store holds them) is decoded with the standard library's ``json``: the state
is what eventsourcing's ``JSONTranscoder`` wrote (custom types as ``{"_type_": ...,
"_data_": ...}``) and sealed personal fields stay sealed: they are never opened,
and no column is made of them (``projections.analytics.fields``).

The event class is resolved once per topic (``EventPlan``): its family (the
aggregate class's name in snake_case), its columns and how each is read. Rows are
built column by column, a list per column per topic (``TopicColumns``), so a batch
of a million events makes no object per event beyond its decoded state.
"""

from __future__ import annotations

import dataclasses
import json
import re
import types
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import CanMutateAggregate
from eventsourcing.utils import TopicError, resolve_topic

from domain.base import SYSTEM_ACTOR
from domain.personal_data import personal_fields_of
from projections.analytics.fields import (
    ALLOWLISTS,
    ENVELOPE_COLUMNS,
    KEYED_ID_AGGREGATES,
    UNEXPORTED_AGGREGATES,
    ColumnKind,
    Exposure,
    exposure_of,
)
from projections.analytics.pseudonyms import Pseudonyms

# The standard library's C scanner: one call per state, without ``json.loads``'s
# checks (the states are JSON objects the transcoder wrote).
_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]

# A stored event as read from the log: position, originator id, version, topic,
# state (bytes, or their text).
StoredRecord = tuple[int, Any, int, str, bytes | str]

ENVELOPE_KINDS: dict[str, ColumnKind] = {
    "application": ColumnKind.STRING,
    "position": ColumnKind.INT,
    "aggregate_type": ColumnKind.STRING,
    "aggregate_id": ColumnKind.STRING,
    "event_type": ColumnKind.STRING,
    "version": ColumnKind.INT,
    "timestamp": ColumnKind.TIMESTAMP,
    "actor": ColumnKind.STRING,
    "correlation_id": ColumnKind.STRING,
}
assert tuple(ENVELOPE_KINDS) == ENVELOPE_COLUMNS

_SCALAR_KINDS: dict[Any, ColumnKind] = {
    str: ColumnKind.STRING,
    UUID: ColumnKind.STRING,
    int: ColumnKind.INT,
    float: ColumnKind.FLOAT,
    bool: ColumnKind.BOOL,
    datetime: ColumnKind.TIMESTAMP,
}


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def column_name(field_name: str) -> str:
    return f"field_{field_name}" if field_name in ENVELOPE_KINDS else field_name


def kind_of_annotation(annotation: Any) -> ColumnKind | None:
    """The column kind of a field's annotation; None for dicts and nested lists."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        return kind_of_annotation(inner[0]) if len(inner) == 1 else None
    if origin is list:
        (item,) = typing.get_args(annotation) or (str,)
        return ColumnKind.STRINGS if item in (str, UUID) else None
    return _SCALAR_KINDS.get(annotation)


def is_dict_annotation(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(is_dict_annotation(a) for a in typing.get_args(annotation))
    return origin is dict or annotation is dict


def event_fields(event_class: type[Any]) -> dict[str, Any]:
    """The event class's fields and their annotations."""
    hints = typing.get_type_hints(event_class)
    try:
        names = [f.name for f in dataclasses.fields(event_class)]
    except TypeError:
        names = list(hints)
    return {name: hints.get(name, Any) for name in names}


def aggregate_name_of(event_class: type[Any]) -> str:
    return event_class.__qualname__.split(".", 1)[0]


@dataclass(frozen=True)
class FieldColumn:
    """One exported column of an event: which field (and path inside it)."""

    column: str
    field: str
    path: tuple[str, ...]
    kind: ColumnKind


def exported_columns(event_class: type[Any]) -> list[FieldColumn]:
    """The columns an event class exports, by the reviewed rule (``fields``)."""
    aggregate = aggregate_name_of(event_class)
    personal = personal_fields_of(event_class)
    columns: list[FieldColumn] = []
    for name, annotation in event_fields(event_class).items():
        exposure, _ = exposure_of(
            aggregate, name, personal, is_dict=is_dict_annotation(annotation)
        )
        if exposure is Exposure.EXPORTED:
            kind = kind_of_annotation(annotation)
            if kind is not None:
                columns.append(FieldColumn(column_name(name), name, (), kind))
        elif exposure is Exposure.ALLOWLISTED:
            for path, kind in ALLOWLISTS[aggregate, name].items():
                parts = tuple(path.split("."))
                columns.append(
                    FieldColumn(f"{name}_{'_'.join(parts)}", name, parts, kind)
                )
    return columns


def aggregate_events(aggregate_class: type[Any]) -> list[type[Any]]:
    """Every event class an aggregate class holds (its own and inherited ones)."""
    found: dict[str, type[Any]] = {}
    for attribute in dir(aggregate_class):
        value = getattr(aggregate_class, attribute, None)
        if (
            isinstance(value, type)
            and issubclass(value, CanMutateAggregate)
            and value.__qualname__.startswith(aggregate_class.__qualname__ + ".")
        ):
            found[f"{value.__module__}:{value.__qualname__}"] = value
    return list(found.values())


# --- Reading values out of decoded state ---------------------------------------------


def _text(value: Any) -> str | None:
    if type(value) is str:
        return value
    if type(value) is dict:
        kind = value.get("_type_")
        if kind == "uuid_hex":
            return str(UUID(value["_data_"]))
        if kind in ("datetime_iso", "decimal_str"):
            data: str = value["_data_"]
            return data
    return None  # a sealed envelope ({"_pii": ...}) or anything else: nothing


def utc_iso(value: Any) -> str | None:
    """An ISO timestamp in UTC (``+00:00``), as Arrow casts it."""
    text = _text(value)
    if text is None or text.endswith("+00:00"):
        return text
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


ColumnReader = Callable[[list[Any]], list[Any]]


def column_reader(kind: ColumnKind, subs: dict[str, str]) -> ColumnReader:
    """Reads a column's raw values (as decoded) into its kind, user ids replaced.

    Each kind reads a whole column in one comprehension: a batch pays one call per
    column, not one per value.
    """
    get = subs.get
    if kind is ColumnKind.STRING:

        def strings_of(values: list[Any]) -> list[Any]:
            texts = [v if type(v) is str else _text(v) for v in values]
            return [None if t is None else get(t, t) for t in texts]

        return strings_of
    if kind is ColumnKind.INT:
        return lambda values: [v if type(v) is int else None for v in values]
    if kind is ColumnKind.BOOL:
        return lambda values: [v if type(v) is bool else None for v in values]
    if kind is ColumnKind.FLOAT:
        return lambda values: [
            float(v) if type(v) is float or type(v) is int else None for v in values
        ]
    if kind is ColumnKind.TIMESTAMP:
        return lambda values: [utc_iso(v) for v in values]

    def lists_of(values: list[Any]) -> list[Any]:
        return [_string_list(v, get) if type(v) is list else None for v in values]

    return lists_of


def _string_list(values: list[Any], get: Callable[[str, str], str]) -> list[str]:
    texts = [v if type(v) is str else _text(v) for v in values]
    return [get(t, t) for t in texts if t is not None]


def _walk(value: Any, path: tuple[str, ...]) -> Any:
    """The value at ``path`` inside nested dicts; None through a sealed one."""
    for part in path:
        if type(value) is not dict or "_pii" in value:
            return None
        value = value.get(part)
    return value


def group_by_topic(records: Iterable[StoredRecord]) -> dict[str, list[StoredRecord]]:
    """Records by topic, each group in position order."""
    by_topic: dict[str, list[StoredRecord]] = {}
    for record in records:
        found = by_topic.get(record[3])
        if found is None:
            by_topic[record[3]] = [record]
        else:
            found.append(record)
    return by_topic


@dataclass
class EventPlan:
    """How the events of one topic become rows: resolved once per topic."""

    topic: str
    family: str
    aggregate_type: str
    event_type: str
    # (column, field, path inside it, reader) per exported column.
    readers: list[tuple[str, str, tuple[str, ...], ColumnReader]]
    kinds: dict[str, ColumnKind]
    exported: bool = True
    # Its aggregate ids are keyed hashes (``fields.KEYED_ID_AGGREGATES``).
    keyed_ids: bool = False


@dataclass
class TopicColumns:
    """The rows of one topic in a batch, column by column."""

    plan: EventPlan
    columns: dict[str, list[Any]]
    dates: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.dates)


class RowBuilder:
    """Turns an application's stored events into rows (one builder per run)."""

    def __init__(
        self,
        application: str,
        pseudonyms: Pseudonyms,
        resolve: Callable[[str], type[Any]] = resolve_topic,
    ) -> None:
        self.application = application
        self.pseudonyms = pseudonyms
        self._resolve = resolve
        self._plans: dict[str, EventPlan] = {}
        self._family_kinds: dict[str, dict[str, ColumnKind]] = {}

    # -- Plans ------------------------------------------------------------------------

    def plan(self, topic: str) -> EventPlan:
        found = self._plans.get(topic)
        if found is None:
            found = self._plans[topic] = self._make_plan(topic)
        return found

    def _make_plan(self, topic: str) -> EventPlan:
        subs = self.pseudonyms.substitutions
        try:
            event_class = self._resolve(topic)
        except (TopicError, ImportError, AttributeError, ValueError, TypeError):
            event_class = None
        if event_class is None:
            # An event of no known class: its envelope only.
            qualname = topic.rsplit(":", 1)[-1]
            aggregate = qualname.split(".", 1)[0]
            return EventPlan(
                topic, snake_case(aggregate), aggregate, qualname, [], {}, True
            )
        aggregate = aggregate_name_of(event_class)
        columns = exported_columns(event_class)
        readers = [
            (c.column, c.field, c.path, column_reader(c.kind, subs)) for c in columns
        ]
        family = snake_case(aggregate)
        if family not in self._family_kinds:
            self._family_kinds[family] = self._kinds_of_family(event_class)
        return EventPlan(
            topic=topic,
            family=family,
            aggregate_type=aggregate,
            event_type=event_class.__qualname__,
            readers=readers,
            kinds={c.column: c.kind for c in columns},
            exported=aggregate not in UNEXPORTED_AGGREGATES,
            keyed_ids=aggregate in KEYED_ID_AGGREGATES,
        )

    def _kinds_of_family(self, event_class: type[Any]) -> dict[str, ColumnKind]:
        """Every column of every event of the family (files share one schema)."""
        kinds: dict[str, ColumnKind] = {}
        module = event_class.__module__
        try:
            aggregate_class = self._resolve(
                f"{module}:{aggregate_name_of(event_class)}"
            )
            classes = aggregate_events(aggregate_class)
        except (TopicError, ImportError, AttributeError, ValueError, TypeError):
            classes = [event_class]
        for cls in [*classes, event_class]:
            for column in exported_columns(cls):
                kinds.setdefault(column.column, column.kind)
        return dict(sorted(kinds.items()))

    def family_kinds(self, family: str) -> dict[str, ColumnKind]:
        """The field columns of a family (beside the envelope's), sorted by name."""
        return self._family_kinds.get(family, {})

    # -- Rows -------------------------------------------------------------------------

    def build(self, records: Iterable[StoredRecord]) -> list[TopicColumns]:
        """The rows of a batch of stored events, grouped by topic, column by column."""
        out = []
        for topic, group in group_by_topic(records).items():
            plan = self.plan(topic)
            if plan.exported:
                out.append(self.columns(plan, group))
        return out

    def columns(self, plan: EventPlan, group: list[StoredRecord]) -> TopicColumns:
        """The rows of events of one topic (``plan``'s), column by column."""
        get = self.pseudonyms.substitutions.get
        scan = _SCAN
        decoded = [
            scan(s if isinstance(s, str) else s.decode(), 0)[0]
            for _, _, _, _, s in group
        ]
        rows = len(group)
        stamps = [d.get("timestamp") for d in decoded]
        when = [t.get("_data_") if type(t) is dict else None for t in stamps]
        if not all(type(w) is str and w.endswith("+00:00") for w in when):
            when = [utc_iso(t) for t in stamps]
        ids = [o if type(o) is str else str(o) for _, o, _, _, _ in group]
        actors = [d.get("actor_id") for d in decoded]
        pseudonym = self.pseudonyms.of
        columns: dict[str, list[Any]] = {
            "application": [self.application] * rows,
            "position": [r[0] for r in group],
            "aggregate_type": [plan.aggregate_type] * rows,
            "aggregate_id": (
                [self.pseudonyms.keyed_id(i) for i in ids]
                if plan.keyed_ids
                else [get(i, i) for i in ids]
            ),
            "event_type": [plan.event_type] * rows,
            "version": [r[2] for r in group],
            "timestamp": when,
            "actor": [
                a if a == SYSTEM_ACTOR or type(a) is not str else get(a) or pseudonym(a)
                for a in actors
            ],
            # A caller's correlation id is theirs to choose: a user id in it goes too.
            "correlation_id": [
                get(c, c) if type(c) is str else None
                for c in (d.get("correlation_id") for d in decoded)
            ],
        }
        for column, name, path, read in plan.readers:
            values = [d.get(name) for d in decoded]
            if path:
                values = [_walk(v, path) for v in values]
            columns[column] = read(values)
        dates = [w[:10] if w else "1970-01-01" for w in when]
        return TopicColumns(plan, columns, dates)

    def rows(self, records: Iterable[StoredRecord]) -> list[tuple[str, dict[str, Any]]]:
        """Row by row (family, row): what ``build`` makes, for tests and readers."""
        out: list[tuple[int, str, dict[str, Any]]] = []
        for batch in self.build(records):
            names = list(batch.columns)
            for i, date in enumerate(batch.dates):
                row = {name: batch.columns[name][i] for name in names}
                row["date"] = date
                out.append((row["position"], batch.plan.family, row))
        out.sort(key=lambda item: item[0])
        return [(family, row) for _, family, row in out]
