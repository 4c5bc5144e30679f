"""Request and response bodies of the careers routes."""

from __future__ import annotations
