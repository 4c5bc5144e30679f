"""The onboarding context's command messages, one ``Command`` subclass per request.

Each message gets exactly one handler (``handlers.py``). Payloads travel as the
domain's values (``NpoProfile``, ``OfferingContent``), already checked where they
were made (``of``), so a message holds nothing unchecked; a message accepts only
such instances (``InstanceOf``), never a mapping to build one from.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from pydantic import InstanceOf

from commands.base import Command, CommandResult
from domain.onboarding.npo import VerificationStatus
from domain.onboarding.offering_content import OfferingContent
from domain.onboarding.values import NpoProfile

# --- NPOs (NP1, CL1, A1, A2, A3) ----------------------------------------------------


class CreateNpo(Command[CommandResult]):
    """Only a user with the NPO role; the platform assigns the id (#8)."""

    profile: InstanceOf[NpoProfile]


class UpdateNpo(Command[CommandResult]):
    npo_id: UUID
    profile: InstanceOf[NpoProfile]


class AddMember(Command[CommandResult]):
    """The creator adds a user who holds the NPO role (looked up by the handler)."""

    npo_id: UUID
    user_id: str


class RemoveMember(Command[CommandResult]):
    npo_id: UUID
    user_id: str


class RecordVerification(Command[CommandResult]):
    """The assigned leader: VERIFIED, or FLAGGED with a reason (CL1)."""

    npo_id: UUID
    status: VerificationStatus
    reason: str | None = None


class ApproveNpo(Command[CommandResult]):
    npo_id: UUID


class DeleteNpo(Command[CommandResult]):
    npo_id: UUID
    reason: str


class PlaceNpo(Command[CommandResult]):
    """An admin places an NPO in communities (A2); the first provides its leader."""

    npo_id: UUID
    community_ids: tuple[str, ...]


@dataclass(frozen=True)
class RegistrationClaims:
    """What claiming the registration ids of the NPOs recorded so far came to."""

    claimed: int  # live NPOs that claimed their id now
    held: int  # live NPOs that held theirs already
    duplicates: tuple[str, ...]  # live NPOs whose id another live NPO holds
    unclaimable: tuple[str, ...]  # live NPOs whose id has no letter or digit


class ClaimRegistrationIds(Command[RegistrationClaims]):
    """The operator (system actor), once after upgrading: every live NPO recorded
    before registration ids were claimed claims its own, oldest first. Running it
    again changes nothing."""


# --- Offerings (NP2, NP3, #7, A1) and the offering flow -----------------------------


class CreateOffering(Command[CommandResult]):
    """The new offering's id comes first in the result's ``ids``."""

    npo_id: UUID
    content: InstanceOf[OfferingContent]


class UpdateOffering(Command[CommandResult]):
    offering_id: UUID
    content: InstanceOf[OfferingContent]
    expected_version: int | None = None


class DeleteOffering(Command[CommandResult]):
    offering_id: UUID
    expected_version: int | None = None


class TakeDownOffering(Command[CommandResult]):
    offering_id: UUID
    reason: str


@dataclass(frozen=True)
class UploadTicket:
    """Where to PUT a claimed file's bytes, and until when."""

    result: CommandResult
    resource_id: str
    upload_url: str
    content_type: str
    expires_in_seconds: int


class StartUpload(Command[UploadTicket]):
    offering_id: UUID
    filename: str
    content_type: str
    size: int


class AttachUpload(Command[CommandResult]):
    offering_id: UUID
    resource_id: str


class RemoveResource(Command[CommandResult]):
    offering_id: UUID
    resource_id: str


class RecordOffering(Command[CommandResult]):
    """The offering flow: an offering was created for an NPO (sent by the system)."""

    npo_id: UUID
    offering_id: UUID


# --- Communities, leaders, platform settings (CL4, CL5, A2, #2) ---------------------


class CreateCommunity(Command[CommandResult]):
    """The new community's id comes first in the result's ``ids``."""

    name: str
    description: str | None = None
    tags: tuple[str, ...] = ()


class UpdateCommunity(Command[CommandResult]):
    community_id: UUID
    name: str
    description: str | None = None
    tags: tuple[str, ...] = ()


class EnsureDefaultCommunity(Command[CommandResult]):
    pass


class AddLeader(Command[CommandResult]):
    """The user must hold the COMMUNITY_LEADER role (looked up by the handler)."""

    community_id: UUID
    user_id: str


class RemoveLeader(Command[CommandResult]):
    community_id: UUID
    user_id: str


class SetLeaderCap(Command[CommandResult]):
    """None: the platform's default cap applies."""

    user_id: str
    npo_cap: int | None


class SetPolicy(Command[CommandResult]):
    leader_npo_cap: int
    communities_per_leader: int


class AddCategory(Command[CommandResult]):
    slug: str
    label: str
