"""The onboarding context's refusals. Each maps to one HTTP status in the adapter."""

from __future__ import annotations

from domain.base import DomainError, NotFoundError


class OnboardingError(DomainError):
    """Base of the onboarding context's refusals."""


class NotAllowedError(OnboardingError):
    """The acting user may not do this (403)."""


class OnboardingNotFoundError(NotFoundError):
    """No such NPO, offering, community or resource (404)."""


class InvalidFieldError(OnboardingError):
    """A value breaks a rule; ``field`` names it (422)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class StateConflictError(OnboardingError):
    """The thing is not in a state that allows this (409)."""


class VersionConflictError(StateConflictError):
    """The caller edited an older version than the stored one (409)."""

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(
            f"The offering is at version {actual}, not {expected}; reload and retry."
        )
        self.expected = expected
        self.actual = actual


class CapReachedError(StateConflictError):
    """A cap would be exceeded: NPOs per leader, communities per leader (409)."""


class UnreadableResourceError(OnboardingError):
    """A file is not one of the readable types, judged by its content (415)."""


class ResourceTooLargeError(OnboardingError):
    """A file is larger than the limit (413)."""
