"""The non-profit organisation (NP1, #8, CL1, A2, A3).

An ``Npo`` holds its profile, its members, the offerings recorded for it (the
offering→NPO mapping of the Kafka flow), its registration and verification status,
its communities and its assigned community leader. Its id is a UUID the platform
assigns when the profile is created (#8).

Lifecycle:

- registration ``PENDING`` → ``COMPLETE`` when its first offering is recorded;
- verification ``UNVERIFIED`` → ``VERIFIED`` or ``FLAGGED`` (with a reason), recorded
  by the assigned leader (who may change their mind until an admin decides);
- an admin approves a ``VERIFIED`` NPO (its offerings become visible to candidates) or
  deletes an NPO (a flagged one, or one that breaks the rules).

Events other contexts react to: ``Npo.LeaderAssigned`` (welcome email, introductory
meeting), ``Npo.WaitingForLeader`` (admin alert), ``Npo.LeaderUnassigned``,
``Npo.Approved``, ``Npo.Deleted`` (members notified; it names them by id).

(About 400 lines: one aggregate's whole lifecycle; its values are in ``values``.)
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.base import (
    ConflictError,
    InvalidFieldError,
    NotAllowedError,
    SpotlightAggregate,
)
from domain.onboarding import values as v
from domain.onboarding.values import NpoProfile, Placement
from domain.text import LONG_TEXT


class RegistrationStatus(StrEnum):
    PENDING = "PENDING"
    COMPLETE = "COMPLETE"


class VerificationStatus(StrEnum):
    UNVERIFIED = "UNVERIFIED"
    VERIFIED = "VERIFIED"
    FLAGGED = "FLAGGED"


MAX_MEMBERS = 200


class Npo(SpotlightAggregate):
    """A non-profit organisation's profile, membership and onboarding state."""

    # -- Creation -------------------------------------------------------------------

    class Registered(SpotlightAggregate.Created):
        creator_id: str
        profile: dict[str, Any]

    @event(Registered)
    def __init__(self, *, creator_id: str, profile: dict[str, Any]) -> None:
        self.creator_id = creator_id
        self.profile = NpoProfile.from_state(profile)
        self.members: list[str] = [creator_id]
        self.registration = RegistrationStatus.PENDING.value
        self.completed_at: str | None = None
        self.verification = VerificationStatus.UNVERIFIED.value
        self.verification_reason: str | None = None
        self.verified_registration_id: str | None = None
        self.approved = False
        self.deleted = False
        self.offering_ids: list[str] = []
        self.community_ids: list[str] = []
        self.primary_community_id: str | None = None
        self.leader_id: str | None = None
        self.leader_community_id: str | None = None
        self.waiting_in: str | None = None

    @classmethod
    def register(
        cls,
        creator_id: str,
        creator_roles: Collection[str],
        profile: NpoProfile,
        npo_id: UUID | None = None,
    ) -> Npo:
        """Only a user with the NPO role creates an NPO profile."""
        if v.ROLE_NPO not in creator_roles:
            raise NotAllowedError("Only a user with the NPO role creates an NPO.")
        npo: Npo = cls._create(
            cls.Registered,
            id=npo_id,
            creator_id=creator_id,
            profile=profile.to_state(),
        )
        return npo

    # -- Reading state --------------------------------------------------------------

    @property
    def registration_status(self) -> RegistrationStatus:
        return RegistrationStatus(self.registration)

    @property
    def verification_status(self) -> VerificationStatus:
        return VerificationStatus(self.verification)

    @property
    def service_areas(self) -> list[str]:
        return list(self.profile.service_areas)

    def is_member(self, user_id: str) -> bool:
        return user_id in self.members

    def require_alive(self) -> None:
        if self.deleted:
            raise ConflictError("The NPO was deleted.")

    def require_member(self, user_id: str) -> None:
        if not self.is_member(user_id):
            raise NotAllowedError("Only the NPO's members may do this.")

    def require_publisher(self, user_id: str, roles: Collection[str]) -> None:
        """Only members with the NPO role create and edit offerings."""
        self.require_alive()
        self.require_member(user_id)
        if v.ROLE_NPO not in roles:
            raise NotAllowedError("Only members with the NPO role publish offerings.")

    # -- Profile and members --------------------------------------------------------

    class ProfileUpdated(SpotlightAggregate.Event):
        profile: dict[str, Any]

    def update_profile(self, actor_id: str, profile: NpoProfile) -> None:
        self.require_alive()
        self.require_member(actor_id)
        if profile != self.profile:
            self._update_profile(profile=profile.to_state())

    @event(ProfileUpdated)
    def _update_profile(self, profile: dict[str, Any]) -> None:
        self.profile = NpoProfile.from_state(profile)

    class MemberAdded(SpotlightAggregate.Event):
        user_id: str

    class MemberRemoved(SpotlightAggregate.Event):
        user_id: str

    def add_member(
        self, actor_id: str, user_id: str, user_roles: Collection[str]
    ) -> None:
        """The creator adds users with the NPO role; adding twice changes nothing."""
        self.require_alive()
        if actor_id != self.creator_id:
            raise NotAllowedError("Only the NPO's creator adds members.")
        if v.ROLE_NPO not in user_roles:
            raise InvalidFieldError("user_id", "the user does not hold the NPO role")
        if user_id in self.members:
            return
        if len(self.members) >= MAX_MEMBERS:
            raise ConflictError(f"An NPO has at most {MAX_MEMBERS} members.")
        self._add_member(user_id=user_id)

    @event(MemberAdded)
    def _add_member(self, user_id: str) -> None:
        self.members.append(user_id)

    def remove_member(self, actor_id: str, user_id: str) -> None:
        """The creator removes members; the creator stays. Absent: nothing happens."""
        self.require_alive()
        if actor_id != self.creator_id:
            raise NotAllowedError("Only the NPO's creator removes members.")
        if user_id == self.creator_id:
            raise ConflictError("The creator cannot be removed.")
        if user_id in self.members:
            self._remove_member(user_id=user_id)

    @event(MemberRemoved)
    def _remove_member(self, user_id: str) -> None:
        self.members.remove(user_id)

    # -- The offering flow ----------------------------------------------------------

    class OfferingRecorded(SpotlightAggregate.Event):
        offering_id: str

    class RegistrationCompleted(SpotlightAggregate.Event):
        offering_id: str
        completed_at: str

    def record_offering(self, offering_id: str) -> bool:
        """Map an offering to this NPO; the first one completes registration.

        Idempotent: an offering recorded before, or any offering of a deleted NPO,
        changes nothing. Returns True when this call completed the registration.
        """
        if self.deleted or offering_id in self.offering_ids:
            return False
        self._record_offering(offering_id=offering_id)
        if self.registration == RegistrationStatus.PENDING.value:
            self._complete_registration(
                offering_id=offering_id,
                completed_at=datetime.now(UTC).isoformat(timespec="microseconds"),
            )
            return True
        return False

    @event(OfferingRecorded)
    def _record_offering(self, offering_id: str) -> None:
        self.offering_ids.append(offering_id)

    @event(RegistrationCompleted)
    def _complete_registration(self, offering_id: str, completed_at: str) -> None:
        self.registration = RegistrationStatus.COMPLETE.value
        self.completed_at = completed_at

    # -- Communities and the leader -------------------------------------------------

    class Placed(SpotlightAggregate.Event):
        community_ids: list[str]
        primary_community_id: str
        matched_tags: list[str]
        by_admin: bool

    def place(self, placement: Placement, *, by_admin: bool) -> None:
        """Put the NPO in communities; the first is where its leader comes from."""
        self.require_alive()
        placement.check()
        if list(placement.community_ids) == self.community_ids:
            return
        self._place(
            community_ids=list(placement.community_ids),
            primary_community_id=placement.primary,
            matched_tags=list(placement.matched_tags),
            by_admin=by_admin,
        )

    @event(Placed)
    def _place(
        self,
        community_ids: list[str],
        primary_community_id: str,
        matched_tags: list[str],
        by_admin: bool,
    ) -> None:
        self.community_ids = community_ids
        self.primary_community_id = primary_community_id

    class LeaderAssigned(SpotlightAggregate.Event):
        leader_id: str
        community_id: str

    class WaitingForLeader(SpotlightAggregate.Event):
        community_id: str

    class LeaderUnassigned(SpotlightAggregate.Event):
        leader_id: str
        community_id: str
        reason: str

    def assign_leader(self, leader_id: str, community_id: str) -> None:
        self.require_alive()
        if self.leader_id is not None:
            raise ConflictError("The NPO already has a leader.")
        self._assign_leader(leader_id=leader_id, community_id=community_id)

    @event(LeaderAssigned)
    def _assign_leader(self, leader_id: str, community_id: str) -> None:
        self.leader_id = leader_id
        self.leader_community_id = community_id
        self.waiting_in = None

    def start_waiting(self, community_id: str) -> None:
        self.require_alive()
        if self.leader_id is not None:
            raise ConflictError("The NPO already has a leader.")
        if self.waiting_in != community_id:
            self._start_waiting(community_id=community_id)

    @event(WaitingForLeader)
    def _start_waiting(self, community_id: str) -> None:
        self.waiting_in = community_id

    def unassign_leader(self, reason: str) -> None:
        if self.leader_id is None:
            return
        self._unassign_leader(
            leader_id=self.leader_id,
            community_id=self.leader_community_id or "",
            reason=reason,
        )

    @event(LeaderUnassigned)
    def _unassign_leader(self, leader_id: str, community_id: str, reason: str) -> None:
        self.leader_id = None
        self.leader_community_id = None

    # -- Verification and approval --------------------------------------------------

    class Verified(SpotlightAggregate.Event):
        """v2 records which registration id the leader checked (CL1), so an audit
        still shows it after the NPO edits its profile."""

        leader_id: str
        registration_id: str | None
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # v1 did not record it; None says "not recorded", never a guess.
            state["registration_id"] = None

    class Flagged(SpotlightAggregate.Event):
        leader_id: str
        reason: str

    def record_verification(
        self, leader_id: str, status: VerificationStatus, reason: str | None
    ) -> None:
        """The assigned leader checks the registration id (CL1)."""
        self.require_alive()
        if self.leader_id != leader_id:
            raise NotAllowedError("Only the NPO's assigned leader verifies it.")
        if self.approved:
            raise ConflictError("The NPO is approved; its verification is final.")
        why = LONG_TEXT.optional(reason, "reason")
        if status is VerificationStatus.VERIFIED:
            if self.verification != VerificationStatus.VERIFIED.value:
                self._verify(
                    leader_id=leader_id, registration_id=self.profile.registration_id
                )
        elif status is VerificationStatus.FLAGGED:
            if why is None:
                raise InvalidFieldError("reason", "is required")
            if (self.verification, self.verification_reason) != (status.value, why):
                self._flag(leader_id=leader_id, reason=why)
        else:
            raise InvalidFieldError("status", "must be VERIFIED or FLAGGED")

    @event(Verified)
    def _verify(self, leader_id: str, registration_id: str | None) -> None:
        self.verification = VerificationStatus.VERIFIED.value
        self.verification_reason = None
        self.verified_registration_id = registration_id

    @event(Flagged)
    def _flag(self, leader_id: str, reason: str) -> None:
        self.verification = VerificationStatus.FLAGGED.value
        self.verification_reason = reason

    class Approved(SpotlightAggregate.Event):
        pass

    def approve(self, actor_roles: Collection[str]) -> None:
        """An admin approves a verified NPO (A3); approving twice changes nothing."""
        if v.ROLE_ADMIN not in actor_roles:
            raise NotAllowedError("Only an admin approves an NPO.")
        self.require_alive()
        if self.verification != VerificationStatus.VERIFIED.value:
            raise ConflictError("Only a verified NPO can be approved.")
        if not self.approved:
            self._approve()

    @event(Approved)
    def _approve(self) -> None:
        self.approved = True

    class Deleted(SpotlightAggregate.Event):
        reason: str
        member_ids: list[str]
        leader_id: str | None
        offering_ids: list[str]

    def delete(self, actor_roles: Collection[str], reason: str | None) -> None:
        """An admin deletes the NPO (a flagged one, or one breaking the rules)."""
        if v.ROLE_ADMIN not in actor_roles:
            raise NotAllowedError("Only an admin deletes an NPO.")
        self.require_alive()
        why = LONG_TEXT.required(reason, "reason")
        self._delete(
            reason=why,
            member_ids=list(self.members),
            leader_id=self.leader_id,
            offering_ids=list(self.offering_ids),
        )

    @event(Deleted)
    def _delete(
        self,
        reason: str,
        member_ids: list[str],
        leader_id: str | None,
        offering_ids: list[str],
    ) -> None:
        self.deleted = True
        self.approved = False
        self.leader_id = None
        self.leader_community_id = None
        self.waiting_in = None
