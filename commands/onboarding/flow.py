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
from commands.inbound import InboundHandlers, PoisonMessageError
from commands.onboarding.application import (
    Actor,
    OnboardingApplication,
    UnitOfWork,
    run,
)
from commands.onboarding.assignment import place_and_assign
from commands.onboarding.npos import NPO_DELETED_REASON
from domain.base import NotFoundError
from projections.integration_events import IntegrationEvent
from projections.onboarding.topics import OFFERING_CREATED

logger = logging.getLogger(__name__)


class OfferingMismatchError(NotFoundError):
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


# --- What the consumer runs -----------------------------------------------------------

# The consumer's name: it scopes the deduplication of messages.
OFFERING_FLOW_CONSUMER = "onboarding_offering_flow"


def offering_flow_topic(app: OnboardingApplication) -> str:
    """The topic the flow reads: the one the application publishes offerings on."""
    return app.offerings_topic


def offering_flow_handlers(app: OnboardingApplication) -> InboundHandlers:
    """The inbound handlers of the offering flow, by integration event type."""

    def offering_created(event: IntegrationEvent) -> None:
        npo_id = event.data.get("npo_id")
        if not isinstance(npo_id, str):
            raise PoisonMessageError("onboarding.OfferingCreated without an npo_id")
        record_offering(app, npo_id, event.aggregate_id, event.correlation_id)

    return {OFFERING_CREATED: offering_created}
