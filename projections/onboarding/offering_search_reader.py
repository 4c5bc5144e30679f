"""The offering search port over the search view: what both stores share.

``SearchIndexReader`` answers ``ports.offering_search.OfferingSearch`` from the
view's live version: filters, browsing without text (newest first), facets,
``matching`` and ``get`` are plain SQL on either dialect; finding and ranking by
text is each store's own (``_text_page``: PostgreSQL full-text search and
``pg_trgm``; SQLite FTS5). Only visible offerings are ever answered.
"""

# Table names come from ViewNames (code), never from input; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.base import InvalidFieldError
from ports.offering_search import (
    OfferingHit,
    OfferingPage,
    OfferingQuery,
    OfferingSummary,
)
from ports.relational import RelationalStore, SqlSession
from projections.contracts import ViewNames
from projections.engine import live_names
from projections.onboarding.offering_search import (
    CATEGORIES,
    NPO_COMMUNITIES,
    OFFERINGS,
    SEARCH_PROJECTION,
    TAGS,
)
from projections.onboarding.search_text import (
    SortKey,
    accepted_formats,
    decode_cursor,
    encode_cursor,
    next_deadline,
    query_terms,
)

MAX_LIMIT = 100
_SUMMARY_COLUMNS = (
    "offering_id",
    "npo_id",
    "npo_name",
    "title",
    "summary",
    "categories",
    "tags",
    "region",
    "country",
    "format",
    "deadlines",
    "published_at",
)


@dataclass(frozen=True)
class Filter:
    """A query's filters as SQL over the offerings (alias ``o``) and its values."""

    sql: str
    params: tuple[Any, ...]


@dataclass(frozen=True)
class RankedPage:
    keys: list[SortKey]  # the page, in order (one more than asked if there are)
    total: int
    facets: dict[str, int]


def _placeholders(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


class SearchIndexReader(ABC):
    """The port ``OfferingSearch``, less the text search of each store."""

    def __init__(self, views: RelationalStore) -> None:
        self._views = views

    # -- The port ---------------------------------------------------------------------

    def search(self, query: OfferingQuery) -> OfferingPage:
        if query.open_deadline and not query.today:
            raise InvalidFieldError("today", "is needed to filter by open deadline")
        after = decode_cursor(query)
        size = max(1, min(query.limit, MAX_LIMIT))
        terms = query_terms(query.text)
        today = query.today or datetime.now(UTC).date().isoformat()
        with self._views.transaction() as session:
            names = live_names(session, SEARCH_PROJECTION)
            where = self._filter(names, query)
            if terms:
                ranked = self._text_page(
                    session, names, terms, where=where, after=after, size=size
                )
            else:
                ranked = self._browse_page(session, names, where, after, size)
            keys = ranked.keys[:size]
            found = self._summaries(
                session, names, [k.offering_id for k in keys], today
            )
        hits = [
            OfferingHit(found[k.offering_id], k.score)
            for k in keys
            if k.offering_id in found
        ]
        more = len(ranked.keys) > size
        return OfferingPage(
            hits=hits,
            facets=ranked.facets,
            total=ranked.total,
            next_cursor=encode_cursor(query, keys[-1]) if more and keys else None,
        )

    def matching(
        self, categories: Sequence[str], tags: Sequence[str], limit: int
    ) -> list[OfferingSummary]:
        if (not categories and not tags) or limit < 1:
            return []
        today = datetime.now(UTC).date().isoformat()
        with self._views.transaction() as session:
            names = live_names(session, SEARCH_PROJECTION)
            either = []
            params: list[Any] = []
            if categories:
                either.append(self._any_label(names, "category", CATEGORIES.base))
                params.append(tuple(categories))
            if tags:
                either.append(self._any_label(names, "tag", TAGS.base))
                params.append(tuple(tags))
            sql, values = self._expand(" OR ".join(either), params)
            rows = session.fetchall(
                f"SELECT o.offering_id FROM {names.table(OFFERINGS.base)} o "
                f"WHERE o.visible = 1 AND ({sql}) "
                "ORDER BY o.published_at DESC, o.offering_id DESC LIMIT %s",
                (*values, limit),
            )
            ids = [str(r[0]) for r in rows]
            found = self._summaries(session, names, ids, today)
        return [found[i] for i in ids if i in found]

    def get(self, offering_ids: Sequence[str]) -> dict[str, OfferingSummary]:
        today = datetime.now(UTC).date().isoformat()
        with self._views.transaction() as session:
            names = live_names(session, SEARCH_PROJECTION)
            return self._summaries(session, names, list(offering_ids), today)

    # -- Each store's text search -----------------------------------------------------

    @abstractmethod
    def _text_page(
        self,
        session: SqlSession,
        names: ViewNames,
        terms: list[str],
        *,
        where: Filter,
        after: SortKey | None,
        size: int,
    ) -> RankedPage:
        """Visible offerings matching every term (or a word similar to it) and the
        filters, best first, after ``after``: ``size`` + 1 keys at most."""

    # -- Shared SQL -------------------------------------------------------------------

    def _any_label(self, names: ViewNames, column: str, base: str) -> str:
        return (
            f"EXISTS (SELECT 1 FROM {names.table(base)} l "
            f"WHERE l.offering_id = o.offering_id AND l.{column} IN (%s))"
        )

    @staticmethod
    def _expand(sql: str, params: Sequence[Any]) -> tuple[str, tuple[Any, ...]]:
        """``IN (%s)`` with a tuple parameter becomes one placeholder per value."""
        parts = sql.split("%s")
        out = [parts[0]]
        values: list[Any] = []
        for param, rest in zip(params, parts[1:], strict=True):
            if isinstance(param, tuple):
                out.append(_placeholders(param))
                values.extend(param)
            else:
                out.append("%s")
                values.append(param)
            out.append(rest)
        return "".join(out), tuple(values)

    def _filter(self, names: ViewNames, query: OfferingQuery) -> Filter:
        clauses = ["o.visible = 1"]
        params: list[Any] = []
        if query.categories:
            clauses.append(self._any_label(names, "category", CATEGORIES.base))
            params.append(tuple(query.categories))
        if query.tags:
            clauses.append(self._any_label(names, "tag", TAGS.base))
            params.append(tuple(query.tags))
        if query.npo_id:
            clauses.append("o.npo_id = %s")
            params.append(query.npo_id)
        if query.community_id:
            clauses.append(
                f"EXISTS (SELECT 1 FROM {names.table(NPO_COMMUNITIES.base)} c "
                "WHERE c.npo_id = o.npo_id AND c.community_id = %s)"
            )
            params.append(query.community_id)
        if query.region:
            clauses.append("o.region_key = %s")
            params.append(query.region.casefold())
        if query.country:
            clauses.append("o.country = %s")
            params.append(query.country.upper())
        formats = accepted_formats(query.format)
        if formats is not None:
            clauses.append("o.format IN (%s)")
            params.append(formats)
        if query.open_deadline:
            clauses.append("(o.last_due IS NULL OR o.last_due >= %s)")
            params.append(query.today)
        sql, values = self._expand(" AND ".join(clauses), params)
        return Filter(sql, values)

    def _browse_page(
        self,
        session: SqlSession,
        names: ViewNames,
        where: Filter,
        after: SortKey | None,
        size: int,
    ) -> RankedPage:
        offerings = names.table(OFFERINGS.base)
        page_sql, page_params = where.sql, where.params
        if after is not None:
            page_sql += (
                " AND (o.published_at < %s OR "
                "(o.published_at = %s AND o.offering_id < %s))"
            )
            page_params += (after.published_at, after.published_at, after.offering_id)
        rows = session.fetchall(
            f"SELECT o.offering_id, o.published_at FROM {offerings} o "
            f"WHERE {page_sql} "
            "ORDER BY o.published_at DESC, o.offering_id DESC LIMIT %s",
            (*page_params, size + 1),
        )
        total_row = session.fetchone(
            f"SELECT count(*) FROM {offerings} o WHERE {where.sql}", where.params
        )
        facets = session.fetchall(
            f"SELECT l.category, count(*) FROM {offerings} o "
            f"JOIN {names.table(CATEGORIES.base)} l "
            f"ON l.offering_id = o.offering_id WHERE {where.sql} GROUP BY l.category",
            where.params,
        )
        return RankedPage(
            keys=[SortKey(0.0, str(r[1]), str(r[0])) for r in rows],
            total=int(total_row[0]) if total_row else 0,
            facets={str(c): int(n) for c, n in facets},
        )

    def _summaries(
        self, session: SqlSession, names: ViewNames, ids: list[str], today: str
    ) -> dict[str, OfferingSummary]:
        if not ids:
            return {}
        rows = session.fetchall(
            f"SELECT {', '.join(_SUMMARY_COLUMNS)} "
            f"FROM {names.table(OFFERINGS.base)} "
            f"WHERE visible = 1 AND offering_id IN ({_placeholders(ids)})",
            ids,
        )
        records = [dict(zip(_SUMMARY_COLUMNS, r, strict=True)) for r in rows]
        npo_ids = sorted({str(r["npo_id"]) for r in records})
        communities: dict[str, list[str]] = {}
        if npo_ids:
            for npo_id, community_id in session.fetchall(
                f"SELECT npo_id, community_id FROM "
                f"{names.table(NPO_COMMUNITIES.base)} "
                f"WHERE npo_id IN ({_placeholders(npo_ids)}) ORDER BY npo_id, rank",
                npo_ids,
            ):
                communities.setdefault(str(npo_id), []).append(str(community_id))
        return {
            str(r["offering_id"]): OfferingSummary(
                offering_id=str(r["offering_id"]),
                npo_id=str(r["npo_id"]),
                npo_name=str(r["npo_name"]),
                title=str(r["title"]),
                summary=r["summary"],
                categories=tuple(json.loads(r["categories"])),
                tags=tuple(json.loads(r["tags"])),
                region=r["region"],
                country=r["country"],
                format=str(r["format"]),
                community_ids=tuple(communities.get(str(r["npo_id"]), ())),
                next_deadline=next_deadline(json.loads(r["deadlines"]), today),
                published_at=str(r["published_at"]),
            )
            for r in records
        }


def offering_search_for(views: RelationalStore) -> SearchIndexReader:
    """The reader of the store the views are kept in."""
    if views.dialect == "postgres":
        from projections.onboarding.offering_search_postgres import (
            PostgresOfferingSearch,
        )

        return PostgresOfferingSearch(views)
    from projections.onboarding.offering_search_sqlite import SqliteOfferingSearch

    return SqliteOfferingSearch(views)
