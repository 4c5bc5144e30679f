"""What a projection is: the events it is handed, its names and ports per version.

A *projection* turns events from one or more applications' logs into a view. The
engine (``projections.engine``) feeds it batches; a batch and the projection's tracked
position are written in one SQL transaction. PostgreSQL (or, embedded, SQLite) views
therefore change exactly once per event. Views elsewhere (MongoDB documents, Redis keys,
Kafka messages) must be written idempotently, guarded by the event's version or
position, because the batch may be applied again if the process stops before the
transaction commits.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, Notification
from eventsourcing.utils import get_topic, resolve_topic

from ports.cache import Cache
from ports.documents import DocumentStore
from ports.messages import MessagePublisher
from ports.relational import SqlSession


@dataclass(frozen=True)
class ProjectedEvent:
    """An event as the engine hands it to projections, decoded on first use."""

    source: str
    notification: Notification
    mapper: Mapper[UUID]

    @property
    def position(self) -> int:
        return self.notification.id

    @cached_property
    def topic(self) -> str:
        """``module:Class.Event`` where the class is *now*; cheap before decoding.

        Events stored before a class moved carry its old topic; resolving it (old
        topics are registered in ``domain.moved_topics``) and naming the class again
        gives every projection one topic per event class, whenever it was stored.
        """
        return get_topic(resolve_topic(self.notification.topic))

    @property
    def event_name(self) -> str:
        return self.topic.rsplit(".", 1)[-1]

    @cached_property
    def originator_id(self) -> UUID:
        originator_id = self.notification.originator_id
        if isinstance(originator_id, UUID):
            return originator_id
        return UUID(str(originator_id))

    @property
    def originator_version(self) -> int:
        return self.notification.originator_version

    @cached_property
    def event(self) -> DomainEventProtocol[UUID]:
        return self.mapper.to_domain_event(self.notification)

    @property
    def correlation_id(self) -> str | None:
        """The correlation id the event carries (decodes it), None if none."""
        found = getattr(self.event, "correlation_id", None)
        return found if isinstance(found, str) and found else None


@dataclass(frozen=True)
class ViewNames:
    """Names of a projection's storage for one version.

    A rebuild writes version N+1 beside the live version N and switches when it has
    caught up, so every table, collection and key prefix carries the version.
    """

    projection: str
    version: int

    def table(self, base: str) -> str:
        return f"{base}_v{self.version}"

    def collection(self, base: str) -> str:
        return f"{base}_v{self.version}"

    def key_prefix(self, base: str) -> str:
        return f"{base}:v{self.version}:"


@dataclass(frozen=True)
class ViewPorts:
    """The non-SQL stores a projection may write."""

    documents: DocumentStore
    cache: Cache
    publisher: MessagePublisher


class Projection(ABC):
    """Subclass per view. The engine makes one instance per (version, process).

    - ``name`` is stable (it keys tracking); ``sources`` are application names.
    - ``setup`` creates this version's storage; it must be idempotent.
    - ``apply`` handles a batch in order; it may ignore events it does not use.
    - ``drop`` removes this version's storage once another version is live.
    - ``batch_size`` overrides the engine's batch size for this projection.
    - ``retry_forever`` keeps retrying a failing batch (for outbound messages that
      must catch up when a broker returns); otherwise the engine retries a bounded
      number of times and then stops this projection only, showing the error.
    """

    name: ClassVar[str]
    sources: ClassVar[tuple[str, ...]]
    retry_forever: ClassVar[bool] = False
    # Events per batch when not the engine's default: stores whose updates cost far
    # more than inserts (FerretDB) gain from larger batches.
    batch_size: ClassVar[int | None] = None

    def __init__(self, names: ViewNames, ports: ViewPorts) -> None:
        self.names = names
        self.ports = ports

    @abstractmethod
    def setup(self, session: SqlSession) -> None: ...

    @abstractmethod
    def apply(self, session: SqlSession, events: Sequence[ProjectedEvent]) -> None: ...

    @abstractmethod
    def drop(self, session: SqlSession) -> None: ...
