"""What a resource file really is, judged by its bytes (#7: readable files only).

An offering's downloads may be PDF, plain text or images (PNG, JPEG, GIF, WebP). The
declared type and the file name are what the uploader claims; ``sniff`` looks at the
content itself. SVG is not accepted: it is XML that can carry scripts.
"""

from __future__ import annotations

import codecs

PDF = "application/pdf"
TEXT = "text/plain"
PNG = "image/png"
JPEG = "image/jpeg"
GIF = "image/gif"
WEBP = "image/webp"

READABLE_TYPES = frozenset({PDF, TEXT, PNG, JPEG, GIF, WEBP})
MAX_RESOURCE_BYTES = 10 * 1024 * 1024
MAX_RESOURCES_PER_OFFERING = 20

_EXTENSIONS = {
    PDF: (".pdf",),
    TEXT: (".txt", ".text", ".md", ".csv"),
    PNG: (".png",),
    JPEG: (".jpg", ".jpeg"),
    GIF: (".gif",),
    WEBP: (".webp",),
}

# Control characters that never appear in readable text (tab, LF, FF, CR allowed).
_CONTROL = frozenset(range(0x20)) - {0x09, 0x0A, 0x0C, 0x0D}
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<script", b"<svg", b"<?xml")


def _is_text(data: bytes) -> bool:
    body = data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data
    if any(byte in _CONTROL for byte in body):
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    # A browser may sniff markup even when served as text/plain: refuse it.
    head = body[:512].lstrip().lower()
    return not head.startswith(_HTML_MARKERS)


_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
)


def sniff(data: bytes) -> str | None:
    """The readable type the bytes are, or None when they are none of them."""
    for signature, content_type in _SIGNATURES:
        if data.startswith(signature):
            return content_type
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data and _is_text(data):
        return TEXT
    return None


def extension_matches(filename: str, content_type: str) -> bool:
    return filename.lower().endswith(_EXTENSIONS.get(content_type, ()))
