"""The careers context's command messages, one ``Command`` subclass per request.

Each message gets exactly one handler in ``handlers.py``.
"""

from __future__ import annotations

from uuid import UUID

from commands.base import Command, CommandResult

# --- Suggestions from the mentor (CM4) ---------------------------------------------


class SuggestOffering(Command[CommandResult]):
    """The candidate's assigned mentor suggests a visible offering, with a note."""

    candidate_id: UUID
    offering_id: str
    note: str | None = None
