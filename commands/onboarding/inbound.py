"""The offering flow, consumer side: inbound integration events become commands.

When an offering is created, the onboarding context publishes
``onboarding.OfferingCreated`` naming the NPO and the offering
(``projections.onboarding.integration_events``). Its consumer turns each message
into ``RecordOffering``, sent by the platform in the message's correlation, which
maps the offering to its NPO and, the first time, completes the NPO's registration,
places it and assigns it a leader (``offering_handlers.record_offering``; idempotent,
so a duplicate or a replay has no second effect).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from commands.base import Actor, Command
from commands.inbound import InboundHandlers, PoisonMessageError
from commands.onboarding.messages import RecordOffering
from projections.integration_events import IntegrationEvent
from projections.onboarding.integration_events import OFFERING_CREATED

# The consumer's name: it scopes the deduplication of messages.
OFFERING_FLOW_CONSUMER = "onboarding_offering_flow"

Dispatch = Callable[[Command[Any]], object]


def offering_flow_handlers(dispatch: Dispatch) -> InboundHandlers:
    """The offering flow's inbound handlers, by integration event type."""

    def offering_created(event: IntegrationEvent) -> None:
        npo_id = event.data.get("npo_id")
        if not isinstance(npo_id, str):
            raise PoisonMessageError("onboarding.OfferingCreated without an npo_id")
        try:
            npo, offering = UUID(npo_id), event.aggregate_id
        except ValueError:
            raise PoisonMessageError(
                "onboarding.OfferingCreated names something that is not an id"
            ) from None
        dispatch(
            RecordOffering(
                actor=Actor.system(event.correlation_id),
                npo_id=npo,
                offering_id=offering,
            )
        )

    return {OFFERING_CREATED: offering_created}
