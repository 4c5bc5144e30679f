"""Who reads, and what they may see of NPOs and offerings.

- an NPO's full record (contact, registration id, statuses): its members, its
  assigned leader, admins ("insiders"). Anyone signed in sees the public part of an
  *approved* NPO that is not deleted;
- an offering in any status: the same people. Anyone else sees only ``ACTIVE``
  offerings of approved NPOs (the rule of A3).
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.onboarding.offering import OfferingStatus
from domain.onboarding.values import ROLE_ADMIN
from projections.onboarding.npo_reader import NpoRow
from projections.onboarding.offerings import OfferingRow


@dataclass(frozen=True)
class Viewer:
    """Who reads: their user id and roles."""

    user_id: str
    roles: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return ROLE_ADMIN in self.roles

    def is_insider(self, npo: NpoRow) -> bool:
        """May see everything about the NPO: its members, its leader, admins.

        Membership is known only for rows that carry their members
        (``NpoReader.get``); list rows carry none.
        """
        return (
            self.is_admin
            or self.user_id in npo.members
            or (npo.leader_id is not None and npo.leader_id == self.user_id)
        )

    def may_see(self, npo: NpoRow) -> bool:
        """At least the NPO's public part."""
        return self.is_insider(npo) or (npo.approved and not npo.deleted)

    def may_see_offering(self, offering: OfferingRow, npo: NpoRow | None) -> bool:
        if npo is None:
            return self.is_admin
        if self.is_insider(npo):
            return True
        return (
            npo.approved
            and not npo.deleted
            and offering.status is OfferingStatus.ACTIVE
        )
