"""An in-memory ``OfferingSearch`` (``ports.offering_search``) for tests.

It follows the port's contract: only offerings it was told are visible are found;
``hide`` (an offering taken down or deleted) and ``hide_npo`` (an NPO deleted) take
them out of every answer at once; ``search`` ranks by how many words of the text an
offering holds (by publication, newest first, without text), counts matches per
category over every page, and pages with an opaque cursor that stays stable while
offerings are added (it names the last hit's sort key, not an offset).
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Sequence

from domain.base import InvalidFieldError
from domain.tagging import normalise_tag
from ports.offering_search import (
    OfferingHit,
    OfferingPage,
    OfferingQuery,
    OfferingSummary,
)

_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


class InMemoryOfferingSearch:
    def __init__(self, offerings: Sequence[OfferingSummary] = ()) -> None:
        self._lock = threading.Lock()
        self._visible: dict[str, OfferingSummary] = {}
        for offering in offerings:
            self.publish(offering)

    # -- What the projection would do ---------------------------------------------

    def publish(self, offering: OfferingSummary) -> None:
        """The offering is visible (new, or changed)."""
        with self._lock:
            self._visible[offering.offering_id] = offering

    def hide(self, offering_id: str) -> None:
        """Taken down or deleted."""
        with self._lock:
            self._visible.pop(offering_id, None)

    def hide_npo(self, npo_id: str) -> None:
        """The NPO was deleted: all its offerings go."""
        with self._lock:
            for found in [o for o in self._visible.values() if o.npo_id == npo_id]:
                del self._visible[found.offering_id]

    # -- The port ----------------------------------------------------------------------

    def search(self, query: OfferingQuery) -> OfferingPage:
        with self._lock:
            offerings = list(self._visible.values())
        terms = _words(query.text or "")
        hits: list[OfferingHit] = []
        for offering in offerings:
            if not self._passes(offering, query):
                continue
            score = 0.0
            if terms:
                held = _words(
                    " ".join(
                        [offering.title, offering.summary or "", offering.npo_name]
                    )
                )
                score = float(len(terms & held))
                if not score:
                    continue
            hits.append(OfferingHit(offering, score))
        hits.sort(key=_sort_key)
        facets: dict[str, int] = {}
        for hit in hits:
            for category in hit.offering.categories:
                facets[category] = facets.get(category, 0) + 1
        start = 0
        if query.cursor is not None:
            after = _decode(query.cursor)
            start = next(
                (i for i, h in enumerate(hits) if list(_sort_key(h)) > after),
                len(hits),
            )
        page = hits[start : start + query.limit]
        more = start + query.limit < len(hits)
        return OfferingPage(
            hits=page,
            facets=facets,
            total=len(hits),
            next_cursor=_encode(list(_sort_key(page[-1]))) if more and page else None,
        )

    def matching(
        self, categories: Sequence[str], tags: Sequence[str], limit: int
    ) -> list[OfferingSummary]:
        wanted_categories = set(categories)
        wanted_tags = {normalise_tag(t) for t in tags}
        with self._lock:
            found = [
                o
                for o in self._visible.values()
                if wanted_categories & set(o.categories) or wanted_tags & set(o.tags)
            ]
        found.sort(key=lambda o: (o.published_at, o.offering_id), reverse=True)
        return found[: max(0, limit)]

    def get(self, offering_ids: Sequence[str]) -> dict[str, OfferingSummary]:
        with self._lock:
            return {i: self._visible[i] for i in offering_ids if i in self._visible}

    @staticmethod
    def _passes(offering: OfferingSummary, query: OfferingQuery) -> bool:
        checks = [
            not query.categories
            or bool(set(query.categories) & set(offering.categories)),
            not query.tags
            or bool({normalise_tag(t) for t in query.tags} & set(offering.tags)),
            query.npo_id is None or offering.npo_id == query.npo_id,
            query.community_id is None or query.community_id in offering.community_ids,
            query.region is None
            or normalise_tag(query.region) == normalise_tag(offering.region or ""),
            query.country is None
            or (offering.country or "").upper() == query.country.upper(),
            query.format is None or offering.format == query.format,
            not query.open_deadline
            or offering.next_deadline is None
            or offering.next_deadline[:10] >= (query.today or ""),
        ]
        return all(checks)


def _sort_key(hit: OfferingHit) -> tuple[float, str, str]:
    # Best first, then newest, then by id; descending dates sort on their negation.
    published = "".join(chr(0x10FFFF - ord(c)) for c in hit.offering.published_at)
    return (-hit.score, published, hit.offering.offering_id)


def _encode(key: list[object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def _decode(cursor: str) -> list[object]:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, UnicodeDecodeError):
        raise InvalidFieldError("cursor", "is not a cursor this search gave") from None
    if not isinstance(key, list) or len(key) != 3:
        raise InvalidFieldError("cursor", "is not a cursor this search gave")
    return key
