"""The platform's default cap on a mentor's active mentees (CM2), set by admins.

A singleton with a fixed id. Until an admin first changes it, it does not exist in
the store and the default applies; a mentor's own cap (``Mentor.set_cap``)
overrides it.

Lifecycle: started with the default on the first change; an admin changes the cap
(the same value again changes nothing).
"""

from __future__ import annotations

from collections.abc import Collection
from uuid import uuid5

from eventsourcing.domain import event

from domain.base import InvalidFieldError, NotAllowedError, SpotlightAggregate
from domain.careers.mentor import MAX_MENTEE_CAP
from domain.careers.values import CAREERS_NAMESPACE, ROLE_ADMIN

DEFAULT_MENTEE_CAP = 5


class CareersPolicy(SpotlightAggregate):
    """The platform's default mentee cap (a mentor's own cap overrides it)."""

    ID = uuid5(CAREERS_NAMESPACE, "policy")

    class Started(SpotlightAggregate.Created):
        mentee_cap: int

    @event(Started)
    def __init__(self, *, mentee_cap: int) -> None:
        self.mentee_cap = mentee_cap

    @classmethod
    def start(cls) -> CareersPolicy:
        policy: CareersPolicy = cls._create(
            cls.Started, id=cls.ID, mentee_cap=DEFAULT_MENTEE_CAP
        )
        return policy

    class Changed(SpotlightAggregate.Event):
        mentee_cap: int

    def change(self, actor_roles: Collection[str], mentee_cap: int) -> None:
        if ROLE_ADMIN not in actor_roles:
            raise NotAllowedError("Only an admin changes platform settings.")
        if isinstance(mentee_cap, bool) or not isinstance(mentee_cap, int):
            raise InvalidFieldError("mentee_cap", "must be a whole number")
        if not 1 <= mentee_cap <= MAX_MENTEE_CAP:
            raise InvalidFieldError(
                "mentee_cap", f"must be between 1 and {MAX_MENTEE_CAP}"
            )
        if mentee_cap != self.mentee_cap:
            self._change(mentee_cap=mentee_cap)

    @event(Changed)
    def _change(self, mentee_cap: int) -> None:
        self.mentee_cap = mentee_cap
