"""The careers context's command messages, one ``Command`` subclass per request.

None yet: each message added here gets exactly one handler in ``handlers.py``.
"""

from __future__ import annotations
