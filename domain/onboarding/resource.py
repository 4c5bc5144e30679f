"""An offering's downloadable file (#7): what an upload claims, what was attached.

Upload is two steps. The NPO claims a file (``UploadClaim.of``: a plain file name,
a readable type whose extension matches, a size within the limit) and receives a
presigned URL; after uploading it asks to attach the file, and the bytes are judged
by their content (``domain.onboarding.content.sniff``) before the ``Resource``
becomes ``READY`` (or ``REJECTED``, with the reason).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from domain.base import InvalidFieldError
from domain.onboarding import content as c
from domain.onboarding.errors import ResourceTooLargeError, UnreadableResourceError
from domain.text import TITLE

_FILENAME_FORBIDDEN = re.compile(r"[\\/\x00-\x1f\x7f]")


class ResourceState(StrEnum):
    AWAITING_UPLOAD = "AWAITING_UPLOAD"
    READY = "READY"
    REJECTED = "REJECTED"


@dataclass(frozen=True)
class UploadClaim:
    """What the uploader says the file is, before any byte arrives."""

    filename: str
    content_type: str
    size: int

    @classmethod
    def of(cls, filename: str, content_type: str, size: int) -> UploadClaim:
        name = TITLE.required(filename, "filename")
        if _FILENAME_FORBIDDEN.search(name) or name in {".", ".."}:
            raise InvalidFieldError("filename", "must be a plain file name")
        if content_type not in c.READABLE_TYPES:
            allowed = ", ".join(sorted(c.READABLE_TYPES))
            raise UnreadableResourceError(
                "content_type", f"only readable files are accepted ({allowed})"
            )
        if not c.extension_matches(name, content_type):
            raise InvalidFieldError(
                "filename", f"the extension does not match {content_type}"
            )
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
            raise InvalidFieldError("size", "must be a positive number of bytes")
        if size > c.MAX_RESOURCE_BYTES:
            raise ResourceTooLargeError(
                "size", f"a file may be at most {c.MAX_RESOURCE_BYTES} bytes"
            )
        return cls(name, content_type, size)


@dataclass(frozen=True)
class Resource:
    """A file of an offering, from its claim to its verdict."""

    filename: str
    content_type: str
    declared_size: int
    key: str  # where its bytes live in the object store
    state: ResourceState = ResourceState.AWAITING_UPLOAD
    size: int | None = None
    sha256: str | None = None
    reason: str | None = None  # why it was refused

    @property
    def usable(self) -> bool:
        """Not refused: a module may point at it."""
        return self.state is not ResourceState.REJECTED


def resource_key(offering_id: UUID | str, resource_id: str) -> str:
    """Where a resource's bytes live in the object store."""
    return f"offerings/{offering_id}/resources/{resource_id}"
