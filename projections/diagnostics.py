"""Describing failures without leaking what they were about.

Error messages can quote data: a database's ``DETAIL: Key (email)=(…)``, a payload
echoed by a parser. What leaves the process (logs, status columns, dead-letter
headers) is the error's type and the first line of its message, shortened; drivers
put the quoted values on later lines.
"""

from __future__ import annotations

MAX_SUMMARY = 200


def error_summary(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    first = lines[0][:MAX_SUMMARY] if lines else ""
    name = type(error).__name__
    return f"{name}: {first}" if first else name
