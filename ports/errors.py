"""The one error every port raises when its backing service is out of reach."""

from __future__ import annotations


class BackendUnavailableError(Exception):
    """A backing service could not be reached."""
