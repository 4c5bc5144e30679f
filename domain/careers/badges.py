"""Badges a candidate earns (C1, #5): which there are, and what earns each.

A badge is earned once, by a fact the candidate's record learns, and recorded as
``Candidate.BadgeEarned`` right after it:

- ``assessment_completed``: their first completed needs assessment;
- ``first_item_approved``: the first item of their roadmap approved by their mentor;
- ``roadmap_completed``: every item of a roadmap done.

The roadmap does not exist yet: the last two kinds are defined so clients can show
them, and whatever records those facts calls ``Candidate.earn_badge`` with them (the
hook), as ``complete_assessment`` does for the first.
"""

from __future__ import annotations

from enum import StrEnum


class BadgeKind(StrEnum):
    ASSESSMENT_COMPLETED = "assessment_completed"
    FIRST_ITEM_APPROVED = "first_item_approved"
    ROADMAP_COMPLETED = "roadmap_completed"


# What each badge says, shown beside it.
BADGE_TITLES: dict[BadgeKind, str] = {
    BadgeKind.ASSESSMENT_COMPLETED: "Completed a needs assessment",
    BadgeKind.FIRST_ITEM_APPROVED: "First roadmap item approved",
    BadgeKind.ROADMAP_COMPLETED: "Completed a roadmap",
}
