"""Small validated values shared by the onboarding aggregates.

Aggregate state and event payloads hold only JSON values (str, int, bool, None,
lists, dicts with string keys, UUIDs, datetimes), so snapshots and events transcode
without custom transcodings; these helpers check and normalise them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit
from uuid import NAMESPACE_URL, uuid5

from domain.base import InvalidFieldError

# Role names as the identity context spells them (``domain.identity.Role``).
ROLE_NPO = "NPO"
ROLE_COMMUNITY_LEADER = "COMMUNITY_LEADER"
ROLE_ADMIN = "ADMIN"

# The onboarding aggregates with fixed or derived ids (singletons, rosters,
# leaders) take them from this namespace.
ONBOARDING_NAMESPACE = uuid5(NAMESPACE_URL, "https://spotlight.example/onboarding")

MAX_TAGS = 30
MAX_TAG_LENGTH = 50
_TAG = re.compile(r"^[a-z0-9][a-z0-9\-]*$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,}$")
_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")  # E.164
_SLUG = re.compile(r"^[a-z][a-z0-9_]{1,49}$")

JSONValue = Any


def text(
    value: object,
    field: str,
    *,
    max_length: int,
    required: bool = True,
    multiline: bool = False,
) -> str | None:
    """Trimmed text without control characters; None when optional and empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidFieldError(field, "is required")
        return None
    if not isinstance(value, str):
        raise InvalidFieldError(field, "must be text")
    cleaned = unicodedata.normalize("NFC", value.strip())
    allowed = {"\n", "\t"} if multiline else set()
    if any(unicodedata.category(c) == "Cc" and c not in allowed for c in cleaned):
        raise InvalidFieldError(field, "contains control characters")
    if len(cleaned) > max_length:
        raise InvalidFieldError(field, f"is longer than {max_length} characters")
    return cleaned


def required_text(value: object, field: str, *, max_length: int) -> str:
    result = text(value, field, max_length=max_length)
    assert result is not None
    return result


def normalise_tag(value: str) -> str:
    """``"Resume Writing"``, ``resume_writing`` → ``"resume-writing"``.

    Tags, service areas, community expertise and category slugs all compare in this
    form.
    """
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded.strip().lower()).strip("-")


def tags(values: Iterable[object] | None, field: str) -> list[str]:
    """Normalised, de-duplicated tags in their given order."""
    result: list[str] = []
    for i, raw in enumerate(values or ()):
        if not isinstance(raw, str):
            raise InvalidFieldError(f"{field}[{i}]", "must be text")
        tag = normalise_tag(raw)
        if not tag or len(tag) > MAX_TAG_LENGTH or not _TAG.match(tag):
            raise InvalidFieldError(f"{field}[{i}]", "is not a valid tag")
        if tag not in result:
            result.append(tag)
    if len(result) > MAX_TAGS:
        raise InvalidFieldError(field, f"has more than {MAX_TAGS} tags")
    return result


def url(value: object, field: str, *, required: bool = True) -> str | None:
    """An absolute http(s) URL."""
    cleaned = text(value, field, max_length=2000, required=required)
    if cleaned is None:
        return None
    parts = urlsplit(cleaned)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise InvalidFieldError(field, "must be an absolute http(s) URL")
    return cleaned


def email(value: object, field: str) -> str | None:
    cleaned = text(value, field, max_length=320, required=False)
    if cleaned is not None and not _EMAIL.match(cleaned):
        raise InvalidFieldError(field, "is not an email address")
    return cleaned


def phone(value: object, field: str) -> str | None:
    cleaned = text(value, field, max_length=16, required=False)
    if cleaned is not None and not _PHONE.match(cleaned):
        raise InvalidFieldError(field, "must be in E.164 form, e.g. +14155550100")
    return cleaned


def slug(value: object, field: str) -> str:
    cleaned = required_text(value, field, max_length=50)
    if not _SLUG.match(cleaned):
        raise InvalidFieldError(
            field, "must be lower-case letters, digits and underscores"
        )
    return cleaned


def mapping(value: object, field: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidFieldError(field, "must be an object")
    return value


def sequence(value: object, field: str, *, max_items: int) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
        raise InvalidFieldError(field, "must be a list")
    if len(value) > max_items:
        raise InvalidFieldError(field, f"has more than {max_items} items")
    return list(value)
