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


class RegistrationIdTakenError(ConflictError):
    """Another live NPO holds the registration id.

    ``npo_id`` names that NPO only when the caller is one of its members (so they
    can go there); anyone else learns only that the id is registered.
    """

    def __init__(self, npo_id: str | None) -> None:
        if npo_id is None:
            message = "registration_id: this registration id is already registered."
        else:
            message = (
                "registration_id: this registration id is already registered, "
                "by an NPO you are a member of (npo_id)."
            )
        super().__init__(message)
        self.npo_id = npo_id

    def extensions(self) -> dict[str, object]:
        reason = "is already registered"
        facts: dict[str, object] = {
            "errors": [{"field": "registration_id", "reason": reason}]
        }
        if self.npo_id is not None:
            facts["npo_id"] = self.npo_id
        return facts
