"""The careers context's handlers: one function per message in ``messages.py``."""

from __future__ import annotations

from commands.careers.application import CareersApplication
from commands.dispatch import HandlerTable

HANDLERS = HandlerTable(CareersApplication, {})
