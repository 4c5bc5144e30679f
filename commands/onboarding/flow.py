"""The seed's offering flow, consumer side: an offering was created somewhere.

The message names the NPO and the offering. Recording it maps the offering to the NPO
(``Npo.OfferingRecorded``; the ``onboarding_npos`` projection keeps the mapping as a
PostgreSQL table) and, the first time, completes the NPO's registration, places it
in communities and assigns it a leader, all in one transaction.

Idempotent by state, so a duplicate, a replay or a late message has no second effect:
an offering the NPO has recorded is not recorded again, and an NPO that is no longer
``PENDING`` is not completed again. A message that arrives after its NPO was deleted
takes the offering down instead (it was created in the race with the deletion).
"""

from __future__ import annotations

import logging
from uuid import UUID

from commands.base import CommandResult
from commands.inbound import InboundConsumer, InboundHandler, PoisonMessageError
from commands.onboarding.application import (
    Actor,
    OnboardingApplication,
    UnitOfWork,
    run,
)
from commands.onboarding.assignment import place_and_assign
from commands.onboarding.npos import NPO_DELETED_REASON
from domain.onboarding.errors import OnboardingNotFoundError
from ports.messages import MessageBus
from ports.relational import RelationalStore
from projections.integration_events import IntegrationEvent
from projections.onboarding.topics import OFFERING_CREATED

logger = logging.getLogger(__name__)


class OfferingMismatchError(OnboardingNotFoundError):
    """The message names an offering of another NPO (it can never be handled)."""


def record_offering(
    app: OnboardingApplication,
    npo_id: UUID | str,
    offering_id: UUID | str,
    correlation_id: str,
) -> CommandResult:
    """Map the offering to its NPO; complete a PENDING NPO and assign its leader."""
    actor = Actor.system(correlation_id)

    def decide(unit: UnitOfWork) -> None:
        npo = unit.npo(npo_id)
        offering = unit.offering(offering_id)
        if offering.npo_id != str(npo.id):
            raise OfferingMismatchError("The offering belongs to another NPO.")
        if npo.deleted:
            offering.take_down(None, NPO_DELETED_REASON)
            return
        if npo.record_offering(str(offering.id)):
            place_and_assign(
                unit, npo, [*npo.service_areas, *offering.categories, *offering.tags]
            )

    return run(app, actor, decide, assignment=True)


# --- The consumer ---------------------------------------------------------------------

OFFERING_FLOW_CONSUMER = "onboarding_offering_flow"


def offering_flow_handlers(app: OnboardingApplication) -> dict[str, InboundHandler]:
    """The inbound handlers of the offering flow, by integration event type."""

    def offering_created(event: IntegrationEvent) -> None:
        npo_id = event.data.get("npo_id")
        if not isinstance(npo_id, str):
            raise PoisonMessageError("onboarding.OfferingCreated without an npo_id")
        record_offering(app, npo_id, event.aggregate_id, event.correlation_id)

    return {OFFERING_CREATED: offering_created}


def offering_flow_consumer(
    app: OnboardingApplication,
    store: RelationalStore,
    bus: MessageBus,
    *,
    topic: str | None = None,
    group_id: str | None = None,
    poll_timeout_seconds: float = 1.0,
) -> InboundConsumer:
    """A consumer-group member running the flow (deduplicated per message as well).

    ``topic`` defaults to the application's ``offerings_topic``.
    ``group_id`` defaults to the consumer's name; a replay under a fresh group still
    has no second effect (the dedup table and the handler's idempotence both see to
    it).
    """
    return InboundConsumer(
        OFFERING_FLOW_CONSUMER,
        [topic or app.offerings_topic],
        offering_flow_handlers(app),
        store=store,
        bus=bus,
        group_id=group_id,
        poll_timeout_seconds=poll_timeout_seconds,
    )
