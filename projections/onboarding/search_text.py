"""What both stores of the offering search agree on: words, typos, formats, cursors.

- **Words**: text is split into runs of letters and digits, folded to lower case
  (``words``); a query drops a few English stop words and keeps at most
  ``MAX_QUERY_TERMS`` terms (``query_terms``).
- **Typos**: a query term also matches the indexed words *similar* to it: trigram
  similarity as PostgreSQL's ``pg_trgm`` computes it (``similarity``; at least
  ``SIMILARITY_THRESHOLD``, the extension's default), the ``MAX_ALTERNATIVES`` most
  similar. So ``resme writting`` looks for (resme or resume) and (writting or
  writing). PostgreSQL finds the similar words with a trigram index; SQLite with
  ``similarity`` here, over the words of about the same length.
- **Format**: remote offerings are online, those with an address in person, both
  ``either`` (``format_of``); a filter for one accepts ``either`` too.
- **Cursors**: the sort key of a page's last hit (score, publication, id) and a
  fingerprint of the search, so a cursor from another search is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from domain.base import InvalidFieldError
from ports.offering_search import OfferingQuery

SIMILARITY_THRESHOLD = 0.3
MAX_ALTERNATIVES = 5
MAX_QUERY_TERMS = 8
MAX_TERM_LENGTH = 40
# Shorter terms match only themselves: two letters are too few to guess a typo.
MIN_FUZZY_LENGTH = 3
# Common English words a query ignores (the documents keep them).
STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from",
    "in", "into", "is", "it", "of", "on", "or", "the", "to", "with",
})  # fmt: skip

_WORD = re.compile(r"[^\W_]+")
_TAG = re.compile(r"<[^>]*>")
_CURSOR_PARTS = 4


def words(text: str | None) -> list[str]:
    """The words of a text, lower-cased, in order."""
    return _WORD.findall(text.casefold()) if text else []


def plain_text(description_html: str) -> str:
    """A sanitised description's text, without its markup."""
    return html.unescape(_TAG.sub(" ", description_html))


def query_terms(text: str | None) -> list[str]:
    """The distinct terms a search looks for, in order."""
    terms = [w[:MAX_TERM_LENGTH] for w in words(text) if w not in STOP_WORDS]
    return list(dict.fromkeys(terms))[:MAX_QUERY_TERMS]


def trigrams(word: str) -> set[str]:
    """``pg_trgm``'s trigrams of one word: two spaces before it, one after."""
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def similarity(a: str, b: str) -> float:
    """``pg_trgm``'s ``similarity`` of two words: shared trigrams over all."""
    first, second = trigrams(a), trigrams(b)
    union = len(first | second)
    return len(first & second) / union if union else 0.0


def closest(term: str, candidates: Iterable[str]) -> list[str]:
    """The term and the candidates similar enough to it, most similar first."""
    if len(term) < MIN_FUZZY_LENGTH:
        return [term]
    scored = sorted(
        (
            (-score, word)
            for word in candidates
            if word != term
            and (score := similarity(term, word)) >= SIMILARITY_THRESHOLD
        ),
    )
    return [term, *(word for _, word in scored[:MAX_ALTERNATIVES])]


def length_window(term: str) -> tuple[int, int]:
    """Lengths a word similar to ``term`` may have (a bound that keeps every word
    at the threshold: shared trigrams are at most the shorter word's length + 1)."""
    size = len(term) + 1
    return (
        max(1, int(size * SIMILARITY_THRESHOLD) - 1),
        int(size / SIMILARITY_THRESHOLD),
    )


def format_of(remote: bool, address: str | None) -> str:
    if remote and address:
        return "either"
    return "online" if remote else "in_person"


def accepted_formats(wanted: str | None) -> tuple[str, ...] | None:
    """The stored formats a ``format`` filter accepts (None: every one)."""
    if wanted is None or wanted == "either":
        return None
    return (wanted, "either")


def next_deadline(dues: Sequence[str], today: str) -> str | None:
    """The earliest deadline not yet past (a date-time counts on its day)."""
    coming = sorted(d for d in dues if d[:10] >= today)
    return coming[0] if coming else None


# -- Cursors --------------------------------------------------------------------------


@dataclass(frozen=True)
class SortKey:
    """Where a hit sorts: by score, then publication, then id, all descending."""

    score: float
    published_at: str
    offering_id: str


def fingerprint(query: OfferingQuery) -> str:
    """What a cursor must have been issued for: the search without its page."""
    parts = [
        query_terms(query.text),
        sorted(query.categories),
        sorted(query.tags),
        query.npo_id,
        query.community_id,
        (query.region or "").casefold() or None,
        (query.country or "").upper() or None,
        query.format,
        query.open_deadline,
        query.today if query.open_deadline else None,
    ]
    digest = hashlib.sha256(json.dumps(parts).encode()).hexdigest()
    return digest[:16]


def encode_cursor(query: OfferingQuery, key: SortKey) -> str:
    parts = [fingerprint(query), repr(key.score), key.published_at, key.offering_id]
    raw = json.dumps(parts).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(query: OfferingQuery) -> SortKey | None:
    """The sort key a page starts after; ``InvalidFieldError("cursor")`` for a
    cursor this search did not issue."""
    if not query.cursor:
        return None
    refused = InvalidFieldError("cursor", "not a cursor from this search")
    try:
        padded = query.cursor + "=" * (-len(query.cursor) % 4)
        parts = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise refused from None
    if (
        not isinstance(parts, list)
        or len(parts) != _CURSOR_PARTS
        or not all(isinstance(p, str) for p in parts)
        or parts[0] != fingerprint(query)
    ):
        raise refused
    try:
        score = float(parts[1])
    except ValueError:
        raise refused from None
    return SortKey(score, parts[2], parts[3])
