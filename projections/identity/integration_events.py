"""The identity context's integration events: who exists and which roles they hold.

On ``spotlight.identity.users``, keyed by user id, ids and roles only (never a name,
an email or the admin's free-text reason): other services learn that a user
registered, gained or lost a role (a new community leader or mentor ends a wait for
one), was disabled or enabled, and was erased (so they forget the user too).
"""

from __future__ import annotations

from typing import ClassVar

from domain.identity.user import User
from projections.integration_events import IntegrationEventsProjection, Outbound

USERS_TOPIC = "spotlight.identity.users"
IDENTITY_INTEGRATION_PROJECTION = "identity_integration_events"


class IdentityIntegrationEvents(IntegrationEventsProjection):
    name = IDENTITY_INTEGRATION_PROJECTION
    sources: ClassVar[tuple[str, ...]] = ("identity",)
    outbound = (
        Outbound(
            User.Registered,
            topic=USERS_TOPIC,
            event_type="identity.UserRegistered",
            fields=("roles",),
        ),
        Outbound(
            User.RoleGranted,
            topic=USERS_TOPIC,
            event_type="identity.RoleGranted",
            fields=("role",),
        ),
        Outbound(
            User.RoleRevoked,
            topic=USERS_TOPIC,
            event_type="identity.RoleRevoked",
            fields=("role",),
        ),
        Outbound(User.Disabled, topic=USERS_TOPIC, event_type="identity.UserDisabled"),
        Outbound(User.Enabled, topic=USERS_TOPIC, event_type="identity.UserEnabled"),
        Outbound(User.Erased, topic=USERS_TOPIC, event_type="identity.UserErased"),
    )
