"""Which event fields hold personal data, so the event store can encrypt them.

An event class lists its personal fields in ``personal_fields``. The write side
encrypts those values with a key that belongs to one person (the *data subject*) and
keeps the key outside the events. Erasing the person destroys the key; the events stay
and still load, with every personal field read as ``ERASED``.

The subject is the aggregate the event belongs to (``originator_id``) unless the event
names a field holding the subject's id in ``personal_data_subject_field`` (for example
a candidate profile owned by a user).
"""

from __future__ import annotations

from typing import Any, ClassVar

ERASED = "[erased]"


class CarriesPersonalData:
    """Mixin for event classes whose fields include personal data."""

    personal_fields: ClassVar[frozenset[str]] = frozenset()
    personal_data_subject_field: ClassVar[str | None] = None


def personal_fields_of(event_class: type[Any]) -> frozenset[str]:
    fields: frozenset[str] = getattr(event_class, "personal_fields", frozenset())
    return fields


def is_erased(value: object) -> bool:
    return value == ERASED
