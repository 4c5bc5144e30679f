"""Integration events: domain events published to Kafka by a projection.

A bounded context declares which of its domain events leave the service, on which
topic, under which integration event type and with which fields::

    class OnboardingIntegrationEvents(IntegrationEventsProjection):
        name = "onboarding_integration_events"
        sources = ("onboarding",)
        outbound = (
            Outbound("Npo.Approved", topic="spotlight.onboarding",
                     event_type="onboarding.NpoApproved", fields=("approved_by",)),
        )

The ``fields`` are an **allow-list**: nothing else of the domain event goes out, and
the envelope carries only ids, versions, positions and a timestamp. Personal data never
leaves: a field the event class declares personal (``personal_fields``, see
``domain.personal_data``) or whose name looks personal is refused when the class is
defined, and again, for classes only known at run time, when an event is published.

Each message is keyed by the aggregate id (so one aggregate's events stay in order on
one partition) and carries headers naming the integration event type, the source
application, the position (notification id) of the domain event and the schema
version; the JSON payload repeats them and has a top-level ``schema_version``.

Publishing runs in the projection engine, never in a command, so a command never fails
because Kafka is down. The engine records the position only after ``apply`` returned,
that is after the broker acknowledged every message of the batch (``acks=all``); a
failure makes the engine retry the batch for ever (``retry_forever``), with back-off.
Delivery is therefore at least once: consumers dedupe on (source, position, type)
(``adapters.kafka.inbound``). A rebuild of such a projection publishes everything again,
which consumers absorb the same way.

This module also decodes the wire format for consumers (``decode_message``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any, ClassVar, Protocol, runtime_checkable
from uuid import UUID, uuid5

from eventsourcing.utils import get_topic

from ports.messages import Message
from ports.relational import SqlSession
from projections.contracts import ProjectedEvent, Projection

# --- The wire format --------------------------------------------------------------

HEADER_EVENT_TYPE = "event-type"
HEADER_SOURCE = "source-application"
HEADER_POSITION = "position"
HEADER_SCHEMA_VERSION = "schema-version"
HEADER_CORRELATION_ID = "correlation-id"
HEADER_CONTENT_TYPE = "content-type"
CONTENT_TYPE = "application/json"

REQUIRED_HEADERS = (
    HEADER_EVENT_TYPE,
    HEADER_SOURCE,
    HEADER_POSITION,
    HEADER_SCHEMA_VERSION,
)

# Field names refused in an allow-list even when the event class declares nothing:
# integration events carry ids, never a person's details.
_PERSONAL_LOOKING = re.compile(
    r"e_?mail|phone|mobile|name|address|birth|gender|password|secret|token|"
    r"passport|ssn|iban|salary|ethnic|religio|health",
    re.IGNORECASE,
)

JSONScalar = str | int | float | bool | None


class IntegrationEventConfigError(TypeError):
    """An integration event mapping is wrong (a bug: fix the declaration)."""


class PersonalDataError(IntegrationEventConfigError):
    """A mapping would publish personal data."""


@dataclass(frozen=True)
class Outbound:
    """Publish one kind of domain event as one integration event.

    ``domain_event`` is the event class, its topic (``module:Aggregate.Event``) or its
    qualified name (``Aggregate.Event``). ``fields`` are the event attributes copied
    into the payload's ``data``: ids, enums, numbers, flags, dates; never personal data.
    """

    domain_event: str | type[Any]
    topic: str
    event_type: str
    fields: tuple[str, ...] = ()
    schema_version: int = 1

    @property
    def match_key(self) -> str:
        if isinstance(self.domain_event, str):
            return self.domain_event
        return get_topic(self.domain_event)

    def check(self) -> None:
        """Refuse declarations that could never be right."""
        if not self.topic or not self.event_type:
            raise IntegrationEventConfigError(f"{self}: topic and event_type needed")
        if self.schema_version < 1:
            raise IntegrationEventConfigError(f"{self}: schema_version starts at 1")
        if len(set(self.fields)) != len(self.fields):
            raise IntegrationEventConfigError(f"{self}: a field is listed twice")
        for name in self.fields:
            if _PERSONAL_LOOKING.search(name):
                raise PersonalDataError(
                    f"{self.event_type}: field {name!r} looks personal; integration "
                    "events carry ids only"
                )
        if not isinstance(self.domain_event, str):
            check_not_personal(self.domain_event, self.fields, self.event_type)


def check_not_personal(
    event_class: type[Any], fields: Sequence[str], event_type: str
) -> None:
    """Refuse fields the event class declares personal (``personal_fields``)."""
    personal: frozenset[str] = getattr(event_class, "personal_fields", frozenset())
    leaked = sorted(set(fields) & set(personal))
    if leaked:
        raise PersonalDataError(
            f"{event_type}: {leaked} are personal fields of {event_class.__qualname__}"
        )


def json_value(value: Any) -> Any:
    """A field's value as JSON: ids become strings; structures are refused."""
    if isinstance(value, Enum):
        return json_value(value.value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        items = [json_value(v) for v in value]
        return items if isinstance(value, list | tuple) else sorted(items, key=str)
    # A value object may hide personal data behind an innocent field name.
    raise IntegrationEventConfigError(
        f"{type(value).__name__} is not published; list scalar fields (ids) instead"
    )


def encode(item: ProjectedEvent, route: Outbound) -> tuple[str, bytes, dict[str, str]]:
    """Key, JSON value and headers of the message for ``item``."""
    domain_event = item.event
    check_not_personal(type(domain_event), route.fields, route.event_type)
    data: dict[str, Any] = {}
    for name in route.fields:
        try:
            value = getattr(domain_event, name)
        except AttributeError as error:
            raise IntegrationEventConfigError(
                f"{route.event_type}: {type(domain_event).__qualname__} has no "
                f"field {name!r}"
            ) from error
        data[name] = json_value(value)
    correlation_id = str(getattr(domain_event, "correlation_id", ""))
    timestamp = getattr(domain_event, "timestamp", None)
    aggregate_id = str(item.originator_id)
    payload = {
        "schema_version": route.schema_version,
        "event_type": route.event_type,
        "source": item.source,
        "position": item.position,
        "aggregate_id": aggregate_id,
        "aggregate_version": item.originator_version,
        "occurred_at": timestamp.isoformat() if timestamp is not None else None,
        "correlation_id": correlation_id,
        "data": data,
    }
    headers = {
        HEADER_EVENT_TYPE: route.event_type,
        HEADER_SOURCE: item.source,
        HEADER_POSITION: str(item.position),
        HEADER_SCHEMA_VERSION: str(route.schema_version),
        HEADER_CORRELATION_ID: correlation_id,
        HEADER_CONTENT_TYPE: CONTENT_TYPE,
    }
    value = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return aggregate_id, value, headers


# --- Publishing --------------------------------------------------------------------


@runtime_checkable
class BatchPublisher(Protocol):
    """A publisher that sends a batch and then waits once for all of it."""

    def publish_many(self, messages: Sequence[Message]) -> None: ...


class IntegrationEventsProjection(Projection):
    """Base of the projections that publish a context's integration events.

    Subclasses set ``name``, ``sources`` and ``outbound``. The projection keeps no
    storage of its own: its tracked position is the only state.
    """

    retry_forever: ClassVar[bool] = True
    outbound: ClassVar[tuple[Outbound, ...]] = ()
    _routes: ClassVar[dict[str, tuple[Outbound, ...]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        routes: dict[str, list[Outbound]] = {}
        for route in cls.outbound:
            route.check()
            routes.setdefault(route.match_key, []).append(route)
        for key, same_event in routes.items():
            types = [r.event_type for r in same_event]
            if len(set(types)) != len(types):
                raise IntegrationEventConfigError(
                    f"{cls.__name__}: {key} maps twice to one event type"
                )
        cls._routes = {key: tuple(found) for key, found in routes.items()}

    def routes_for(self, item: ProjectedEvent) -> tuple[Outbound, ...]:
        """The mappings of an event, found by its topic before decoding it."""
        by_topic = self._routes.get(item.topic)
        if by_topic is not None:
            return by_topic
        return self._routes.get(item.topic.partition(":")[2], ())

    def messages(self, events: Sequence[ProjectedEvent]) -> list[Message]:
        messages = []
        for item in events:
            for route in self.routes_for(item):
                key, value, headers = encode(item, route)
                messages.append(Message(route.topic, key, value, headers))
        return messages

    def setup(self, session: SqlSession) -> None:
        return None

    def apply(self, session: SqlSession, events: Sequence[ProjectedEvent]) -> None:
        messages = self.messages(events)
        if not messages:
            return
        publisher = self.ports.publisher
        if isinstance(publisher, BatchPublisher):
            publisher.publish_many(messages)
            return
        for message in messages:
            publisher.publish(
                message.topic, message.key, message.value, message.headers
            )

    def drop(self, session: SqlSession) -> None:
        return None


# --- Consuming ---------------------------------------------------------------------


class UndecodableMessageError(ValueError):
    """A message is not an integration event this service can read."""


# Derives ids for effects of a message, so that running a handler twice creates
# the same aggregate (and the second save fails) instead of a second one.
_DERIVED_IDS = UUID("6b1c4c2e-8f0e-4a43-9d55-5f3b0d3c7a10")


@dataclass(frozen=True)
class IntegrationEvent:
    """An integration event as a consumer receives it."""

    event_type: str
    source: str
    position: int
    schema_version: int
    payload: Mapping[str, Any]
    message: Message = field(repr=False)

    @property
    def data(self) -> Mapping[str, Any]:
        data = self.payload.get("data", {})
        return data if isinstance(data, Mapping) else {}

    @property
    def aggregate_id(self) -> UUID:
        return UUID(str(self.payload["aggregate_id"]))

    @property
    def correlation_id(self) -> str:
        return str(self.payload.get("correlation_id") or "")

    def derived_id(self, purpose: str) -> UUID:
        """A stable id for something this message creates (idempotent creates)."""
        return uuid5(
            _DERIVED_IDS, f"{self.source}:{self.position}:{self.event_type}:{purpose}"
        )


def decode_message(message: Message) -> IntegrationEvent:
    """Read headers and payload; raise ``UndecodableMessageError`` when malformed."""
    missing = [h for h in REQUIRED_HEADERS if not message.headers.get(h)]
    if missing:
        raise UndecodableMessageError(f"missing headers {missing}")
    try:
        position = int(message.headers[HEADER_POSITION])
        schema_version = int(message.headers[HEADER_SCHEMA_VERSION])
    except ValueError as error:
        raise UndecodableMessageError(
            f"bad position or schema version: {error}"
        ) from error
    try:
        payload = json.loads(message.value)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UndecodableMessageError(f"payload is not JSON: {error}") from error
    if not isinstance(payload, dict):
        raise UndecodableMessageError("payload is not a JSON object")
    if payload.get("schema_version") != schema_version:
        raise UndecodableMessageError(
            "payload schema_version disagrees with the schema-version header"
        )
    try:
        UUID(str(payload.get("aggregate_id")))
    except ValueError as error:
        raise UndecodableMessageError("payload has no aggregate_id") from error
    return IntegrationEvent(
        event_type=message.headers[HEADER_EVENT_TYPE],
        source=message.headers[HEADER_SOURCE],
        position=position,
        schema_version=schema_version,
        payload=payload,
        message=message,
    )
