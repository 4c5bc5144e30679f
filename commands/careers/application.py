"""The careers context's application: the event log of candidates, mentors, roadmaps."""

from __future__ import annotations

from commands.base import SpotlightApplication


class CareersApplication(SpotlightApplication):
    name = "careers"
