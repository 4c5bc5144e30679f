"""An offering's downloadable file (#7): what an upload claims, what was attached.

Upload is two steps. The NPO claims a file (``UploadClaim.of``: a plain file name,
a readable type whose extension matches, a size within the limit) and receives a
presigned URL; after uploading it asks to attach the file, and the bytes are judged
by their content (``domain.onboarding.content.sniff``, ``Resource.verdict``) before
the ``Resource`` becomes ``READY`` (or ``REJECTED``, with the reason).

Two kinds of key, so an upload is one-time. A presigned PUT URL only ever names an
*upload key* (``upload_key``, under ``uploads/``): a URL cannot be revoked, so
whatever it writes later is never read. Attaching stores the very bytes it judged
under a fresh *accepted key* (``accepted_key``, under ``offerings/<id>/files/``),
which no URL is ever signed for, and downloads serve only that key. Resources
attached before accepted keys existed live under their old upload key
(``legacy_key``); a download checks those against the recorded checksum.
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
    # Where its bytes live in the object store: the upload key while it awaits its
    # upload, the accepted key once READY.
    key: str
    state: ResourceState = ResourceState.AWAITING_UPLOAD
    size: int | None = None
    sha256: str | None = None
    reason: str | None = None  # why it was refused

    @property
    def usable(self) -> bool:
        """Not refused: a module may point at it."""
        return self.state is not ResourceState.REJECTED

    def verdict(self, size: int, sniffed: str | None) -> str | None:
        """Why the uploaded bytes are refused (``None``: they are what was claimed).

        ``sniffed``: the type their content shows (``None``: none readable).
        """
        if size > c.MAX_RESOURCE_BYTES:
            return f"the file is larger than {c.MAX_RESOURCE_BYTES} bytes"
        if sniffed is None:
            return "the content is not a PDF, plain text or a supported image"
        if sniffed != self.content_type:
            return f"the content is {sniffed}, not {self.content_type}"
        return None


def upload_key(offering_id: UUID | str, resource_id: str) -> str:
    """The only key a presigned PUT URL is signed for: what arrives is judged, and
    never served."""
    return f"uploads/offerings/{offering_id}/{resource_id}"


def accepted_key(offering_id: UUID | str, resource_id: str, attempt: str) -> str:
    """Where attached bytes live: no URL is ever signed to write here. ``attempt``
    is fresh for each attach, so concurrent attaches never write the same key."""
    return f"{_accepted_prefix(offering_id, resource_id)}{attempt}"


def is_accepted_key(key: str, offering_id: UUID | str, resource_id: str) -> bool:
    """Whether ``key`` is one of the resource's accepted keys."""
    attempt = key.removeprefix(_accepted_prefix(offering_id, resource_id))
    return attempt not in {key, ""} and "/" not in attempt


def legacy_key(offering_id: UUID | str, resource_id: str) -> str:
    """Where a resource's bytes were uploaded and attached before accepted keys:
    upload URLs were signed for it (and it was served)."""
    return f"offerings/{offering_id}/resources/{resource_id}"


def _accepted_prefix(offering_id: UUID | str, resource_id: str) -> str:
    return f"offerings/{offering_id}/files/{resource_id}/"
