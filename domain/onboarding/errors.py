"""The onboarding context's own refusals, each a kind of one of ``domain.base``'s."""

from __future__ import annotations

from domain.base import ConflictError, TooLargeError, UnsupportedContentError


class VersionConflictError(ConflictError):
    """The caller edited an older version than the stored one."""

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(
            f"The offering is at version {actual}, not {expected}; reload and retry."
        )
        self.expected = expected
        self.actual = actual


class CapReachedError(ConflictError):
    """A cap would be exceeded: NPOs per leader, communities per leader."""


class UnreadableResourceError(UnsupportedContentError):
    """A file is not one of the readable types, judged by its content."""


class ResourceTooLargeError(TooLargeError):
    """A file is larger than the limit."""
