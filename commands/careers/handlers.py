"""The careers context's handlers: exactly one per message in ``messages.py``.

The handler functions live beside this table, one module per resource:
``suggestion_handlers`` (a mentor's suggestions). The composition root gives
``HANDLERS`` to the dispatcher.
"""

from __future__ import annotations

from commands.careers import messages as m
from commands.careers import suggestion_handlers as suggestions
from commands.careers.application import CareersApplication
from commands.dispatch import HandlerTable

HANDLERS = HandlerTable(
    CareersApplication,
    {
        # Suggestions from the mentor (CM4)
        m.SuggestOffering: suggestions.suggest_offering,
    },
)
