"""Every field of every event class of every context is classified for the export.

A new field (or event) fails here until it is reviewed in
``projections.analytics.fields``: exported, dropped as personal, dropped as free
text, dropped for a stated reason, or a dict with an allowlist of inner keys.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import pytest
from eventsourcing.domain import CanMutateAggregate
from eventsourcing.utils import resolve_topic

import domain
from domain.personal_data import personal_fields_of
from projections.analytics.fields import (
    ALLOWLISTS,
    ENVELOPE_COLUMNS,
    FREE_TEXT_FIELDS,
    UNEXPORTED_AGGREGATES,
    ColumnKind,
    Exposure,
    exposure_of,
)
from projections.analytics.rows import (
    aggregate_name_of,
    event_fields,
    exported_columns,
    is_dict_annotation,
    kind_of_annotation,
)


def every_event_class() -> dict[str, type[Any]]:
    """Every event class of every context (``domain/*``), by topic."""
    for module in pkgutil.walk_packages(domain.__path__, "domain."):
        importlib.import_module(module.name)
    found: dict[str, type[Any]] = {}

    def walk(cls: type[Any]) -> None:
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("domain."):
                topic = f"{sub.__module__}:{sub.__qualname__}"
                found[topic] = resolve_topic(topic)
            walk(sub)

    walk(CanMutateAggregate)
    return found


EVENTS = every_event_class()
CONTEXTS = {"identity", "onboarding", "careers", "scheduling"}


def test_the_walk_finds_the_events_of_every_context() -> None:
    contexts = {topic.split(".")[1].split(":")[0] for topic in EVENTS}
    assert contexts >= CONTEXTS
    assert "domain.onboarding.npo:Npo.Registered" in EVENTS
    assert "domain.identity.user:User.ProfileUpdated" in EVENTS


@pytest.mark.parametrize("topic", sorted(EVENTS))
def test_every_field_is_classified(topic: str) -> None:
    event_class = EVENTS[topic]
    aggregate = aggregate_name_of(event_class)
    personal = personal_fields_of(event_class)
    for name, annotation in event_fields(event_class).items():
        exposure, why = exposure_of(
            aggregate, name, personal, is_dict=is_dict_annotation(annotation)
        )
        assert exposure is not Exposure.UNREVIEWED, (
            f"{topic} field {name!r} ({annotation}) is not reviewed for the "
            f"analytics export ({why}): classify it in projections/analytics/fields.py"
        )
        if exposure is Exposure.EXPORTED:
            assert kind_of_annotation(annotation) is not None, (
                f"{topic} field {name!r}: {annotation} has no column kind"
            )


@pytest.mark.parametrize("topic", sorted(EVENTS))
def test_no_personal_or_free_text_field_makes_a_column(topic: str) -> None:
    event_class = EVENTS[topic]
    personal = personal_fields_of(event_class)
    for column in exported_columns(event_class):
        assert column.field not in personal, (topic, column)
        assert column.field not in FREE_TEXT_FIELDS, (topic, column)
        assert not set(column.path) & FREE_TEXT_FIELDS, (topic, column)


def test_allowlists_hold_no_contact_name_address_or_text() -> None:
    forbidden = FREE_TEXT_FIELDS | {"contact", "website", "latitude", "longitude"}
    for (aggregate, field), paths in ALLOWLISTS.items():
        for path in paths:
            parts = set(path.split("."))
            assert not parts & forbidden, (aggregate, field, path)
    # The NPO's contact (email and phone) is in no allowlist.
    assert not any(p.startswith("contact") for p in ALLOWLISTS["Npo", "profile"])


def test_a_family_gives_each_column_one_kind() -> None:
    kinds: dict[tuple[str, str], set[ColumnKind]] = {}
    for event_class in EVENTS.values():
        family = aggregate_name_of(event_class)
        for column in exported_columns(event_class):
            kinds.setdefault((family, column.column), set()).add(column.kind)
            assert column.column not in ENVELOPE_COLUMNS, column
    assert {key: k for key, k in kinds.items() if len(k) > 1} == {}


def test_aggregates_with_ids_made_from_personal_values_are_not_exported() -> None:
    aggregates = {aggregate_name_of(cls) for cls in EVENTS.values()}
    assert {"EmailClaim", "IdentityLink", "RegistrationClaim"} <= aggregates
    assert {"EmailClaim", "IdentityLink", "RegistrationClaim"} <= UNEXPORTED_AGGREGATES
