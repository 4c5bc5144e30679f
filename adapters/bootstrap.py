"""The composition root: the one place that turns ``Settings`` into objects."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from adapters import backends
from adapters.identity.services import IdentityServices, build_identity_services
from adapters.kafka.dedup import ensure_processed_messages_schema
from adapters.kafka.inbound import InboundConsumer
from adapters.observability.metrics import Metrics
from adapters.reminders import Clock, ReminderWorker, system_clock
from adapters.resilience import Breakers
from adapters.settings import Settings
from commands.base import Command, SpotlightApplication
from commands.careers import handlers as careers_handlers
from commands.careers.application import CareersApplication
from commands.careers.process_manager import careers_process_manager_for
from commands.dispatch import Dispatcher, HandlerTable
from commands.identity import handlers as identity_handlers
from commands.identity.application import IdentityApplication
from commands.onboarding import handlers as onboarding_handlers
from commands.onboarding.application import OnboardingApplication
from commands.onboarding.inbound import OFFERING_FLOW_CONSUMER, offering_flow_handlers
from commands.personal_data import PersonalDataApplication
from commands.scheduling import handlers as scheduling_handlers
from commands.scheduling.application import SchedulingApplication
from commands.scheduling.process_manager import process_manager_for
from domain.careers.recommendation import NeedsMatch, Recommender
from domain.careers.roadmap_items import ItemSpec
from domain.onboarding.offering import Offering
from ports.blobs import BlobStore
from ports.cache import Cache
from ports.documents import DocumentStore
from ports.health import Pingable
from ports.messages import MessageBus
from ports.offering_search import OfferingSearch
from ports.relational import RelationalStore
from projections.careers.views import careers_projections
from projections.contracts import Projection, ViewPorts
from projections.engine import PositionBoard, ProjectionEngine
from projections.identity.integration_events import IdentityIntegrationEvents
from projections.identity.user_cache import UserCacheView
from projections.identity.users_view import UsersView
from projections.onboarding.integration_events import onboarding_projections
from projections.onboarding.offering_search_reader import offering_search_for
from projections.scheduling.integration_events import SchedulingIntegrationEvents
from projections.scheduling.meetings import MeetingsProjection
from projections.scheduling.notifications import notification_projections
from queries.careers.roadmaps import RoadmapReads
from queries.onboarding.npos import get_npo

# How often a process without PostgreSQL's NOTIFY reads the projections' positions.
POSITION_POLL_SECONDS = 0.05

# Every bounded context's application, and every projection, is listed here once.
APPLICATION_TYPES: tuple[type[SpotlightApplication], ...] = (
    IdentityApplication,
    SchedulingApplication,
    OnboardingApplication,
    CareersApplication,
)
PROJECTION_TYPES: tuple[type[Projection], ...] = (
    UsersView,
    UserCacheView,
    IdentityIntegrationEvents,
    MeetingsProjection,
    SchedulingIntegrationEvents,
)

# Every context's command handlers (``commands/<context>/handlers.py``).
HANDLER_TABLES: tuple[HandlerTable[Any], ...] = (
    scheduling_handlers.HANDLERS,
    identity_handlers.HANDLERS,
    onboarding_handlers.HANDLERS,
    careers_handlers.HANDLERS,
)

# Projections made from the built applications: their sources follow the contexts
# that run here.
ProjectionFactory = Callable[
    [Mapping[str, SpotlightApplication]], Sequence[type[Projection]]
]
PROJECTION_FACTORIES: tuple[ProjectionFactory, ...] = (
    notification_projections,  # scheduling + onboarding/careers when present
    onboarding_projections,  # NPOs and offerings views; the offering flow's topic
    careers_projections,  # candidates, mentors and the queue, recommendations' inputs
)

# Process managers: events of the contexts that run here -> commands, sent through
# the dispatcher.
ProcessManagerFactory = Callable[
    [Mapping[str, SpotlightApplication], Callable[[Command[Any]], Any]],
    Sequence[type[Projection]],
]
PROCESS_MANAGER_FACTORIES: tuple[ProcessManagerFactory, ...] = (
    process_manager_for,  # identity/onboarding/careers events -> scheduling commands
    careers_process_manager_for,  # identity events -> careers commands
)


TApplication = TypeVar("TApplication", bound=SpotlightApplication)


class SearchedOfferings:
    """The ``VisibleOfferings`` careers declares (``commands.careers.ports``): which
    are visible, from the offering search view; what a visible one holds now (for a
    roadmap item), from onboarding's record of it (None when onboarding does not run
    here: no offering can then be put on a roadmap)."""

    def __init__(
        self, search: OfferingSearch, onboarding: OnboardingApplication | None = None
    ) -> None:
        self._search = search
        self._onboarding = onboarding

    def visible(self, offering_ids: Sequence[str]) -> frozenset[str]:
        return frozenset(self._search.get(offering_ids))

    def roadmap_item(self, offering_id: str) -> ItemSpec | None:
        if self._onboarding is None or not self.visible([offering_id]):
            return None
        try:
            offering: object = self._onboarding.repository.get(UUID(offering_id))
        except (AggregateNotFoundError, ValueError):
            return None
        if not isinstance(offering, Offering):
            return None
        content = offering.content
        return ItemSpec.offering(
            offering_id=offering_id,
            version=offering.version,
            npo_id=offering.npo_id,
            title=content.title,
            modules=[(m.id, m.title) for m in content.modules],
            deadlines=[(d.title, d.due) for d in content.deadlines],
        )


@dataclass
class Container:
    """Everything the entry points need, built once per process."""

    settings: Settings
    blobs: BlobStore
    documents: DocumentStore
    cache: Cache
    bus: MessageBus
    event_store_env: dict[str, str]
    views: RelationalStore
    applications: dict[str, SpotlightApplication]
    engine: ProjectionEngine
    identity: IdentityServices
    # The one way in for commands, from HTTP, inbound messages and the CLI.
    dispatcher: Dispatcher
    # The offering search view's reader (what candidates may find; the port
    # careers' queries use).
    offering_search: OfferingSearch
    # Each configured backend by name, for the readiness probe.
    backends: dict[str, Pingable] = field(default_factory=dict)
    # Each real backend's circuit breaker, by name (fail fast while it is down).
    breakers: Breakers = field(default_factory=Breakers)
    _closers: list[Callable[[], None]] = field(default_factory=list)
    # Started threads return their stop function. Listeners (PostgreSQL NOTIFY) wake
    # the engine and keep read-your-writes informed in every process; pollers stand
    # in for them where nothing notifies and projections run elsewhere; workers run
    # only where projections run.
    _listeners: list[Callable[[], Callable[[], None]]] = field(default_factory=list)
    _pollers: list[Callable[[], Callable[[], None]]] = field(default_factory=list)
    _workers: list[Callable[[], Callable[[], None]]] = field(default_factory=list)
    # Inbound message consumers running in this process, by name (status, tests).
    consumers: dict[str, InboundConsumer] = field(default_factory=dict)
    # The model ranking recommendations over the offering search.
    recommender: Recommender = field(default_factory=NeedsMatch)
    # The roadmap reminders' timer worker (where careers runs and it is enabled);
    # started with the projections.
    reminders: ReminderWorker | None = None
    # The process's counters (commands here; requests from the app), for /metrics.
    metrics: Metrics = field(default_factory=Metrics)

    @property
    def npo_members(self) -> NpoMembersOfViews:
        """Who belongs to which NPO (for careers' enrolment reports)."""
        return NpoMembersOfViews(self.views)

    @property
    def people(self) -> NamesOfUsers:
        """People's names (for careers' enrolment reports)."""
        return NamesOfUsers(self.identity)

    # Roadmaps as their readers see them: the cache first, PostgreSQL behind it.
    roadmap_reads: RoadmapReads = field(init=False)

    def application(self, application_type: type[TApplication]) -> TApplication:
        found = self.applications[application_type.name]
        assert isinstance(found, application_type)
        return found

    def start_projections(self) -> None:
        """Run the engine and the inbound consumers here (the API does by default;
        ``spotlight projections run`` always does)."""
        self.prepare()
        self.engine.start()
        self._start(self._listeners, self._workers)

    def follow_positions(self) -> None:
        """Learn how far projections run elsewhere have got (read-your-writes)."""
        self.prepare()  # also loads the positions tracked so far
        self._start(self._listeners, self._pollers)

    def prepare(self) -> None:
        """Create every table a process uses beside the event store's (made in
        ``build_container``): the views and the engine's tracking, identity's
        tables and first signing key, the inbound messages' dedup table.

        On PostgreSQL one process at a time, under the start-up lock the event
        store's tables are made under: API workers and projection workers started
        together on an empty database take turns instead of racing on the
        catalogue. Once done, a process's later calls cost nothing.
        """
        with _creating_tables_alone(self.settings):
            self.engine.setup()
            self.identity.setup()
            if inbound_subscriptions(self):
                ensure_processed_messages_schema(self.views)

    def _start(self, *groups: list[Callable[[], Callable[[], None]]]) -> None:
        for group in groups:
            self._closers.extend(start() for start in group)
            group.clear()  # started once

    def close(self) -> None:
        self.engine.stop()
        while self._closers:
            self._closers.pop()()


def _give_ports(
    applications: Mapping[str, SpotlightApplication],
    settings: Settings,
    identity: IdentityServices,
    blobs: BlobStore,
    search: OfferingSearch,
) -> None:
    """What onboarding and careers need from outside their context (their ports)."""
    onboarding = applications.get(OnboardingApplication.name)
    if not isinstance(onboarding, OnboardingApplication):
        onboarding = None
    else:
        onboarding.offerings_topic = settings.onboarding_offerings_topic
        onboarding.users = ActiveUserRoles(identity)
        onboarding.blobs = blobs
    careers = applications.get(CareersApplication.name)
    if isinstance(careers, CareersApplication):
        careers.users = ActiveUserRoles(identity)
        careers.offerings = SearchedOfferings(search, onboarding)


def build_container(
    settings: Settings,
    *,
    blobs: BlobStore | None = None,
    documents: DocumentStore | None = None,
    cache: Cache | None = None,
    bus: MessageBus | None = None,
    application_types: tuple[type[SpotlightApplication], ...] | None = None,
    projection_types: tuple[type[Projection], ...] | None = None,
    offering_search: OfferingSearch | None = None,
    recommender: Recommender | None = None,
    reminder_clock: Clock | None = None,
) -> Container:
    """Build every port from settings; keyword overrides are for tests."""
    breakers = backends.breakers_for(settings)
    blobs = blobs or backends.blob_store(settings, breakers)
    documents = documents or backends.document_store(settings, breakers)
    cache = cache or backends.cache_for(settings, breakers)
    bus = bus or backends.message_bus(settings)
    if application_types is None:
        application_types = APPLICATION_TYPES
    env = backends.event_store_environment(settings, application_types)
    views = backends.relational_store(settings, breakers)
    identity = build_identity_services(
        settings,
        views,
        cache,
        breaker=breakers("postgres"),
        cache_reads=backends.cache_reads(cache),
    )
    with _creating_tables_alone(settings, events=True):
        applications = {
            app_type.name: _application(app_type, env, identity)
            for app_type in application_types
        }
    if env.get("PERSISTENCE_MODULE") == "eventsourcing.postgres":
        from adapters.postgres.database import guard_event_store

        for app in applications.values():
            guard_event_store(
                app.recorder, breakers("postgres"), settings.postgres_timeout_seconds
            )
    search = offering_search or offering_search_for(views)
    _give_ports(applications, settings, identity, blobs, search)
    onboarding = applications.get(OnboardingApplication.name)
    metrics = Metrics()
    dispatcher = Dispatcher(applications, HANDLER_TABLES, observe=metrics.command_done)
    board = PositionBoard()
    engine = ProjectionEngine(
        views,
        applications,
        _projections(applications, dispatcher, projection_types),
        ViewPorts(documents, cache, bus),
        board=board,
        lock=backends.worker_lock(settings),
        batch_size=settings.projection_batch_size,
        idle_wait_seconds=settings.projection_idle_wait_seconds,
        namespace=settings.postgres_schema or "",
    )
    for app in applications.values():
        # Commands in this process wake the projections reading them at once.
        app.on_recorded(partial(engine.wake, app.name))
    container = Container(
        settings=settings,
        blobs=blobs,
        documents=documents,
        cache=cache,
        bus=bus,
        event_store_env=env,
        views=views,
        applications=applications,
        engine=engine,
        identity=identity,
        dispatcher=dispatcher,
        offering_search=search,
        breakers=breakers,
        recommender=recommender or NeedsMatch(),
        metrics=metrics,
    )
    container.roadmap_reads = RoadmapReads(views, cache)
    container._closers.append(views.close)
    container._closers.append(identity.close)
    container._closers.extend(app.close for app in applications.values())
    if settings.postgres_url:
        from adapters.postgres.database import PostgresHealth

        container.backends["postgres"] = PostgresHealth(
            settings.postgres_url,
            breakers("postgres"),
            settings.postgres_timeout_seconds,
        )
        container._listeners.append(
            lambda: _start_listener(settings, applications, engine, board)
        )
    else:
        # SQLite cannot notify another process: read the tracking table instead.
        container._pollers.append(lambda: _start_position_poller(engine))
    if isinstance(onboarding, OnboardingApplication):
        container._workers.append(lambda: _start_offering_flow(container))
    container.reminders = _reminder_worker(container, reminder_clock)
    # Only real backends are probed and closed; embedded ones live in the process.
    real = {
        "s3": (container.blobs, settings.s3_endpoint),
        "mongodb": (container.documents, settings.mongo_url),
        "redis": (container.cache, settings.redis_url),
        "kafka": (container.bus, settings.kafka_bootstrap),
    }
    for name, (port, url) in real.items():
        if url:
            container.backends[name] = port
            close = getattr(port, "close", None)
            if callable(close):
                container._closers.append(close)
    return container


def _reminder_worker(
    container: Container, clock: Clock | None
) -> ReminderWorker | None:
    """The roadmap reminders' worker, started with the projections, where careers
    runs and the setting leaves it on."""
    settings = container.settings
    if CareersApplication.name not in container.applications:
        return None
    if not settings.reminders_enabled:
        return None
    worker = ReminderWorker(
        container.views,
        container.dispatcher.dispatch,
        clock or system_clock(settings.reminders_clock_offset_seconds),
        poll_seconds=settings.reminders_poll_seconds,
        batch_size=settings.reminders_batch_size,
    )
    container._workers.append(worker.start)
    return worker


def _creating_tables_alone(
    settings: Settings, *, events: bool = False
) -> AbstractContextManager[None]:
    """Start-up creates tables when missing (the event store's, then the views and
    the rest in ``Container.prepare``): those on PostgreSQL, one process at a time.
    With ``events``, only when the event store is on PostgreSQL."""
    if not settings.postgres_url:
        return nullcontext()
    if events and settings.event_store_kind != "postgres":
        return nullcontext()
    from adapters.postgres.database import STARTUP_LOCK_KEY, creating_tables_alone

    return creating_tables_alone(
        settings.postgres_url, STARTUP_LOCK_KEY, settings.postgres_timeout_seconds
    )


def _application(
    app_type: type[SpotlightApplication],
    env: dict[str, str],
    identity: IdentityServices,
) -> SpotlightApplication:
    # Identity revokes refresh tokens when a user loses a role, is disabled or erased.
    if issubclass(app_type, IdentityApplication):
        return app_type(
            env=env, vault=identity.vault, refresh_tokens=identity.refresh_tokens
        )
    # Applications whose events hold personal data seal it with per-person keys.
    if issubclass(app_type, PersonalDataApplication):
        return app_type(env=env, vault=identity.vault)
    return app_type(env=env)


def _projections(
    applications: Mapping[str, SpotlightApplication],
    dispatcher: Dispatcher,
    overridden: tuple[type[Projection], ...] | None,
) -> tuple[type[Projection], ...]:
    if overridden is not None:
        return overridden
    made = (p for make in PROJECTION_FACTORIES for p in make(applications))
    reactions = (
        p
        for make in PROCESS_MANAGER_FACTORIES
        for p in make(applications, dispatcher.dispatch)
    )
    return (*PROJECTION_TYPES, *made, *reactions)


def _start_listener(
    settings: Settings,
    applications: dict[str, SpotlightApplication],
    engine: ProjectionEngine,
    board: PositionBoard,
) -> Callable[[], None]:
    from adapters.postgres.listen import PostgresNotificationListener

    assert settings.postgres_url
    channels = {  # the channel each application's recorder notifies, and its name
        getattr(app.recorder, "channel_name", f"{name}_events"): name
        for name, app in applications.items()
    }
    wakers = {channel: partial(engine.wake, app) for channel, app in channels.items()}
    listener = PostgresNotificationListener(
        settings.postgres_url,
        list(channels),
        engine.wake,
        board,
        namespace=settings.postgres_schema or "",
        # An application's new events wake only the projections that read it.
        wakers=wakers,
    )
    listener.start()
    return listener.stop


def _start_position_poller(engine: ProjectionEngine) -> Callable[[], None]:
    stopping = threading.Event()

    def poll() -> None:
        while not stopping.wait(POSITION_POLL_SECONDS):
            engine.refresh_positions()

    threading.Thread(target=poll, name="position-poller", daemon=True).start()
    return stopping.set


class NpoMembersOfViews:
    """The ``NpoMembers`` careers' queries declare (``queries.careers.enrolments``),
    from onboarding's NPO members view."""

    def __init__(self, views: RelationalStore) -> None:
        self._views = views

    def members_of(self, npo_id: str) -> frozenset[str] | None:
        found = get_npo(self._views, npo_id)
        return None if found is None else frozenset(found.members)


class NamesOfUsers:
    """The ``PeopleNames`` careers' queries declare, from identity's users view."""

    def __init__(self, identity: IdentityServices) -> None:
        self._identity = identity

    def name_of(self, user_id: str) -> str | None:
        try:
            key = UUID(user_id)
        except ValueError:
            return None
        found = self._identity.directory.get(key)
        if found is None:
            return None
        name = " ".join(p for p in (found.first_name, found.last_name) if p)
        return name or None


class ActiveUserRoles:
    """The ``UserDirectory`` onboarding and careers declare (``commands.<context>.
    ports``), over identity's directory: the roles an active user holds now."""

    def __init__(self, identity: IdentityServices) -> None:
        self._identity = identity

    def roles_of(self, user_id: str) -> frozenset[str] | None:
        try:
            key = UUID(user_id)
        except ValueError:
            return None
        found = self._identity.directory.get(key)
        if found is None or found.disabled:
            return None
        return frozenset(str(r) for r in found.roles)


def offering_flow_consumer(
    dispatch: Callable[[Command[Any]], object],
    topic: str,
    store: RelationalStore,
    bus: MessageBus,
    *,
    group_id: str | None = None,
    poll_timeout_seconds: float = 1.0,
) -> InboundConsumer:
    """A consumer-group member turning the offering flow's messages on ``topic``
    into commands sent through ``dispatch``.

    ``group_id`` defaults to the consumer's name; a replay under a fresh group still
    has no second effect (the dedup table and the handler's idempotence both see to
    it).
    """
    return InboundConsumer(
        OFFERING_FLOW_CONSUMER,
        [topic],
        offering_flow_handlers(dispatch),
        store=store,
        bus=bus,
        group_id=group_id,
        poll_timeout_seconds=poll_timeout_seconds,
    )


@dataclass(frozen=True)
class InboundSubscription:
    """An inbound consumer a deployment runs: its name, group and topics."""

    name: str
    group_id: str
    topics: tuple[str, ...]


def inbound_subscriptions(container: Container) -> list[InboundSubscription]:
    """Every inbound consumer this deployment runs (where projections run), whether
    or not it runs in this process: what ``spotlight projections status`` lists."""
    onboarding = container.applications.get(OnboardingApplication.name)
    if not isinstance(onboarding, OnboardingApplication):
        return []
    # The group is named after the event store the flow writes to, so a test or
    # another deployment sharing the broker never takes this one's messages.
    scope = backends.event_store_scope(container.settings)
    return [
        InboundSubscription(
            OFFERING_FLOW_CONSUMER,
            f"{OFFERING_FLOW_CONSUMER}.{scope}",
            (onboarding.offerings_topic,),
        )
    ]


def _start_offering_flow(container: Container) -> Callable[[], None]:
    """The seed's offering flow consumer, beside the projections."""
    [subscription] = (
        s for s in inbound_subscriptions(container) if s.name == OFFERING_FLOW_CONSUMER
    )
    consumer = offering_flow_consumer(
        container.dispatcher.dispatch,
        subscription.topics[0],
        container.views,
        container.bus,
        group_id=subscription.group_id,
    )
    consumer.start()
    container.consumers[OFFERING_FLOW_CONSUMER] = consumer

    def stop() -> None:
        consumer.stop()
        container.consumers.pop(OFFERING_FLOW_CONSUMER, None)

    return stop
