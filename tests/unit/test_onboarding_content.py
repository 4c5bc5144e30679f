"""Resources are judged by their bytes, not by their names or declared types."""

from __future__ import annotations

import pytest

from domain.onboarding.content import (
    GIF,
    JPEG,
    PDF,
    PNG,
    TEXT,
    WEBP,
    extension_matches,
    sniff,
)

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PDF_BYTES, PDF),
        (PNG_BYTES, PNG),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", JPEG),
        (b"GIF89a\x01\x00\x01\x00", GIF),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", WEBP),
        (b"Plain notes\nwith lines\tand tabs\n", TEXT),
        ("Caf\u00e9 na\u00efve \u2014 UTF-8".encode(), TEXT),
        (b"\xef\xbb\xbfWith a BOM\n", TEXT),
    ],
)
def test_readable_files_are_recognised(data: bytes, expected: str) -> None:
    assert sniff(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        b"MZ\x90\x00\x03\x00\x00\x00",  # a Windows executable
        b"\x7fELF\x02\x01\x01",  # a Linux executable
        b"PK\x03\x04\x14\x00",  # a zip (also docx)
        b"<!DOCTYPE html><script>alert(1)</script>",
        b"  <html><body onload=alert(1)>",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b"<?xml version='1.0'?><x/>",
        b"text with a NUL \x00 byte",
        b"\xc3\x28 invalid utf-8",
        b"",
    ],
)
def test_anything_else_is_not_readable(data: bytes) -> None:
    assert sniff(data) is None


def test_extensions_must_match_the_declared_type() -> None:
    assert extension_matches("guide.PDF", PDF)
    assert not extension_matches("guide.pdf.exe", PDF)
    assert not extension_matches("photo.png", JPEG)
