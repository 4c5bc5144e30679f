"""Opaque page cursors: the sort key of a page's last item, as URL-safe text."""

from __future__ import annotations

import base64
import binascii
import json

from domain.base import InvalidFieldError


class InvalidCursorError(InvalidFieldError):
    """The cursor was not issued by this list."""

    def __init__(self) -> None:
        super().__init__("cursor", "not a cursor from this list")


# What ``encode_cursor`` writes: URL-safe base64 without its padding.
CURSOR_PATTERN = r"^[A-Za-z0-9_-]+$"
MAX_CURSOR_LENGTH = 500


def encode_cursor(*parts: str) -> str:
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[str]:
    """The ``size`` parts of a cursor from ``encode_cursor`` (padded or not)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        parts = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise InvalidCursorError from error
    if (
        not isinstance(parts, list)
        or len(parts) != size
        or not all(isinstance(p, str) for p in parts)
    ):
        raise InvalidCursorError
    return parts
