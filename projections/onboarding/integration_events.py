"""The onboarding context's integration events and topics (the seed's offering
flow, out side), and the list of the context's projections.

When an offering is created, a message naming the NPO and the offering goes to
``OFFERINGS_TOPIC`` (or the topic ``Settings`` names), keyed by the offering id. The
engine publishes it after the command committed, so creating an offering never
fails because Kafka is down; the consumer (``commands.onboarding.inbound``) records
the mapping and completes the NPO.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, ClassVar

from domain.onboarding.offering import Offering
from projections.contracts import Projection
from projections.integration_events import IntegrationEventsProjection, Outbound
from projections.onboarding.offering_search import OfferingSearchView
from projections.onboarding.offerings import OfferingDocuments
from projections.onboarding.relational import NposView

# The seed's offering flow: "offering created" messages naming the NPO and offering.
OFFERINGS_TOPIC = "spotlight.onboarding.offerings"
OFFERING_CREATED = "onboarding.OfferingCreated"

INTEGRATION_PROJECTION = "onboarding_integration_events"


def offering_routes(topic: str) -> tuple[Outbound, ...]:
    return (
        Outbound(
            Offering.Created,
            topic=topic,
            event_type=OFFERING_CREATED,
            fields=("npo_id",),
        ),
    )


class OnboardingIntegrationEvents(IntegrationEventsProjection):
    name = INTEGRATION_PROJECTION
    sources: ClassVar[tuple[str, ...]] = ("onboarding",)
    outbound = offering_routes(OFFERINGS_TOPIC)


@cache
def integration_events_for(topic: str) -> type[IntegrationEventsProjection]:
    """The same projection publishing on another topic (set in ``Settings``)."""
    if topic == OFFERINGS_TOPIC:
        return OnboardingIntegrationEvents

    class OnboardingIntegrationEventsOn(IntegrationEventsProjection):
        name = INTEGRATION_PROJECTION
        sources: ClassVar[tuple[str, ...]] = ("onboarding",)
        outbound = offering_routes(topic)

    return OnboardingIntegrationEventsOn


def onboarding_projections(
    applications: Mapping[str, Any],
) -> Sequence[type[Projection]]:
    """The onboarding views (NPOs, offering documents, the offering search) and
    publisher, when the onboarding context runs here.

    The composition root configures the topic on the application
    (``offerings_topic``); the consumer reads the same attribute.
    """
    app = applications.get("onboarding")
    if app is None:
        return ()
    topic = getattr(app, "offerings_topic", OFFERINGS_TOPIC)
    return (
        NposView,
        OfferingDocuments,
        OfferingSearchView,
        integration_events_for(topic),
    )
