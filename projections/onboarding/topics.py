"""The onboarding context's Kafka topics and integration event types."""

from __future__ import annotations

# The seed's offering flow: "offering created" messages naming the NPO and offering.
OFFERINGS_TOPIC = "spotlight.onboarding.offerings"
OFFERING_CREATED = "onboarding.OfferingCreated"
