"""Where event and aggregate classes stored under an old topic live now.

Events are stored for ever with the topic (``module:QualName``) of their class at the
time. When a class moves, its old topic is listed here, in its context's section, and
``register_moved_topics()`` (called before any application loads an event) makes the
old topic resolve to the class where it is now. Registering an aggregate class covers
the event classes nested in it. Entries are never removed: old events keep them.
"""

from __future__ import annotations

from eventsourcing.utils import register_topic, resolve_topic

# Old topic -> current topic. One section per context.
MOVED_TOPICS: dict[str, str] = {
    # --- identity -------------------------------------------------------------------
    "domain.identity:User": "domain.identity.user:User",
    "domain.identity:IdentityLink": "domain.identity.identity_link:IdentityLink",
    "domain.identity:EmailClaim": "domain.identity.email_claim:EmailClaim",
    # The claims' shared events (``_Claim.Reclaimed``, ``_Claim.Released``), since
    # shared with onboarding's claims too.
    "domain.identity:_Claim": "domain.claim:Claim",
    "domain.identity.claim:Claim": "domain.claim:Claim",
    #
    # --- onboarding -----------------------------------------------------------------
    "domain.onboarding.assignment:Leader": "domain.onboarding.leader:Leader",
    "domain.onboarding.assignment:LeaderRoster": (
        "domain.onboarding.leader_roster:LeaderRoster"
    ),
    "domain.onboarding.community:CommunityDirectory": (
        "domain.onboarding.community_directory:CommunityDirectory"
    ),
    "domain.onboarding.platform:Catalogue": "domain.onboarding.catalogue:Catalogue",
    "domain.onboarding.platform:OnboardingPolicy": (
        "domain.onboarding.onboarding_policy:OnboardingPolicy"
    ),
    # --- scheduling -----------------------------------------------------------------
    "domain.scheduling:Availability": "domain.scheduling.availability:Availability",
    "domain.scheduling:CalendarFeed": "domain.scheduling.calendar_feed:CalendarFeed",
    "domain.scheduling:Dispatch": "domain.scheduling.dispatch:Dispatch",
    "domain.scheduling:Erasure": "domain.scheduling.erasure:Erasure",
    "domain.scheduling:Meeting": "domain.scheduling.meeting:Meeting",
    "domain.scheduling:MeetingSeries": "domain.scheduling.meeting_series:MeetingSeries",
    "domain.scheduling:ReadReceipt": "domain.scheduling.read_receipt:ReadReceipt",
    #
    # --- careers --------------------------------------------------------------------
    #
}


def register_moved_topics() -> None:
    """Make every old topic resolve to its class (idempotent)."""
    for old, current in MOVED_TOPICS.items():
        register_topic(old, resolve_topic(current))
