"""The onboarding context's handlers: exactly one per message in ``messages.py``.

The handler functions live beside this table, one module per resource:
``npo_handlers`` (NPOs), ``offering_handlers`` (offerings, their files, the offering
flow) and ``community_handlers`` (communities, leaders, platform settings). The
composition root gives ``HANDLERS`` to the dispatcher.
"""

from __future__ import annotations

from commands.dispatch import HandlerTable
from commands.onboarding import community_handlers as communities
from commands.onboarding import messages as m
from commands.onboarding import npo_handlers as npos
from commands.onboarding import offering_handlers as offerings
from commands.onboarding.application import OnboardingApplication

HANDLERS = HandlerTable(
    OnboardingApplication,
    {
        # NPOs
        m.CreateNpo: npos.create_npo,
        m.UpdateNpo: npos.update_npo,
        m.AddMember: npos.add_member,
        m.RemoveMember: npos.remove_member,
        m.RecordVerification: npos.record_verification,
        m.ApproveNpo: npos.approve_npo,
        m.DeleteNpo: npos.delete_npo,
        m.PlaceNpo: npos.place_npo,
        m.ClaimRegistrationIds: npos.claim_registration_ids,
        # Offerings and the offering flow
        m.CreateOffering: offerings.create_offering,
        m.UpdateOffering: offerings.update_offering,
        m.DeleteOffering: offerings.delete_offering,
        m.TakeDownOffering: offerings.take_down_offering,
        m.StartUpload: offerings.start_upload,
        m.AttachUpload: offerings.attach_upload,
        m.RemoveResource: offerings.remove_resource,
        m.RecordOffering: offerings.record_offering,
        # Communities, leaders, platform settings
        m.CreateCommunity: communities.create_community,
        m.UpdateCommunity: communities.update_community,
        m.EnsureDefaultCommunity: communities.ensure_default_community,
        m.AddLeader: communities.add_leader,
        m.RemoveLeader: communities.remove_leader,
        m.SetLeaderCap: communities.set_leader_cap,
        m.SetPolicy: communities.set_policy,
        m.AddCategory: communities.add_category,
    },
)
