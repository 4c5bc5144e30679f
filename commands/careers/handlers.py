"""The careers context's handlers: exactly one per message in ``messages.py``.

The handler functions live beside this table, one module per resource:
``candidate_handlers`` (career profiles, assessments, erasure), ``mentor_handlers``
(mentor profiles, caps, leaving, finishing), ``suggestion_handlers`` (a mentor's
suggestions) and ``roadmap_handlers`` (the roadmap). The composition root gives
``HANDLERS`` to the dispatcher.
"""

from __future__ import annotations

from commands.careers import candidate_handlers as candidates
from commands.careers import mentor_handlers as mentors
from commands.careers import messages as m
from commands.careers import roadmap_handlers as roadmaps
from commands.careers import suggestion_handlers as suggestions
from commands.careers.application import CareersApplication
from commands.dispatch import HandlerTable

HANDLERS = HandlerTable(
    CareersApplication,
    {
        # Candidates
        m.UpdateCareerProfile: candidates.update_career_profile,
        m.CompleteAssessment: candidates.complete_assessment,
        m.EraseCandidate: candidates.erase_candidate,
        # Suggestions from the mentor (CM4)
        m.SuggestOffering: suggestions.suggest_offering,
        # Mentors (CM2)
        m.SaveMentorProfile: mentors.save_mentor_profile,
        m.SetMentorCap: mentors.set_mentor_cap,
        m.SetCareersPolicy: mentors.set_careers_policy,
        m.RetireMentor: mentors.retire_mentor,
        m.FinishMentoring: mentors.finish_mentoring,
        # The roadmap (#4, C6, CM1)
        m.RequestRoadmapItem: roadmaps.request_roadmap_item,
        m.SuggestRoadmapItem: roadmaps.suggest_roadmap_item,
        m.ApproveRoadmapItem: roadmaps.approve_roadmap_item,
        m.DeclineRoadmapItem: roadmaps.decline_roadmap_item,
        m.AcceptSuggestedItem: roadmaps.accept_suggested_item,
        m.DeclineSuggestedItem: roadmaps.decline_suggested_item,
        m.ReorderRoadmap: roadmaps.reorder_roadmap,
        m.MarkModule: roadmaps.mark_module,
        m.StartRoadmapItem: roadmaps.start_roadmap_item,
        m.CompleteRoadmapItem: roadmaps.complete_roadmap_item,
        m.WithdrawRoadmapItem: roadmaps.withdraw_roadmap_item,
        m.MoveDeadline: roadmaps.move_deadline,
        m.GiveRoadmapFeedback: roadmaps.give_roadmap_feedback,
        m.SendRoadmapReminder: roadmaps.send_roadmap_reminder,
    },
)
