"""The identity context's application: its event log, and reading its write model.

Handlers (``commands.identity.handlers``) load aggregates afresh through these
readers, decide and save with ``execute``. The application holds what the handlers
need from outside: the personal-data vault (its keys are destroyed at erasure) and
the refresh tokens (revoked when a user loses a role, is disabled or erased).
"""

from __future__ import annotations

from typing import ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.utils import EnvType

from commands.identity.ports import RefreshTokens
from commands.personal_data import PersonalDataApplication, PersonalDataVault
from domain.base import NotFoundError
from domain.identity.email_claim import EmailClaim
from domain.identity.user import User

TAggregate = TypeVar("TAggregate", bound=Aggregate)


class IdentityApplication(PersonalDataApplication):
    name = "identity"
    # A user's aggregate grows with every profile change; kept in memory, each load
    # reads only what was recorded since (by any process), not the whole history.
    env: ClassVar[dict[str, str]] = {
        "AGGREGATE_CACHE_MAXSIZE": "10000",
        "AGGREGATE_CACHE_FASTFORWARD": "y",
    }

    def __init__(
        self,
        env: EnvType | None = None,
        *,
        vault: PersonalDataVault,
        refresh_tokens: RefreshTokens,
    ) -> None:
        self.refresh_tokens = refresh_tokens
        super().__init__(env=env, vault=vault)

    def get_user(self, user_id: UUID) -> User:
        found = self.find(User, user_id)
        if found is None:
            raise NotFoundError("No such user.")
        return found

    def find_user_by_email(self, email: str) -> User | None:
        claim = self.find(EmailClaim, EmailClaim.id_for(email))
        if claim is None or claim.holder is None:
            return None
        return self.get_user(claim.holder)

    def find(
        self, aggregate_type: type[TAggregate], aggregate_id: UUID
    ) -> TAggregate | None:
        """The aggregate with this id if it is one of ``aggregate_type``."""
        try:
            found: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        if not isinstance(found, aggregate_type):
            return None
        return found
