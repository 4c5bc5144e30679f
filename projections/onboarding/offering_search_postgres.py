"""The offering search on PostgreSQL: full-text search, and ``pg_trgm`` for typos.

The view's offerings get a ``document`` column the server generates from their words
(``to_tsvector('simple', …)``, weighted: title A, NPO name B, summary C, description
D) with a GIN index; ``srch_words`` gets a trigram GIN index (``gin_trgm_ops``).

A search first looks up, for each term, the indexed words similar to it (``%`` over
the trigram index, at least ``search_text.SIMILARITY_THRESHOLD``), then matches
``(term | similar…) & …`` against ``document`` and ranks with ``ts_rank`` (of that
query, plus of the terms as typed, so an exact word ranks above a similar one): a
score of the offering's own words only, so a score (and a cursor holding it) does not
change when other offerings are added.

``pg_trgm`` ships with PostgreSQL (Debian's postgresql-15 package; it is "trusted",
so a database owner may create it): set-up creates it in ``public`` when missing and
uses it wherever it is (qualified, as views may live in another schema).
"""

# Table names come from ViewNames (code), never from input; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

from ports.relational import SqlSession
from projections.contracts import ViewNames
from projections.onboarding.offering_search import (
    OFFERINGS,
    WORDS,
    SearchIndexWriter,
)
from projections.onboarding.offering_search_reader import (
    Filter,
    RankedPage,
    SearchIndexReader,
)
from projections.onboarding.search_text import (
    MAX_ALTERNATIVES,
    MIN_FUZZY_LENGTH,
    SIMILARITY_THRESHOLD,
    SortKey,
)

# Weights of D, C, B, A (description, summary, NPO name, title).
RANK_WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"
_DOCUMENT = (
    "setweight(to_tsvector('simple'::regconfig, w_title), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, w_npo), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, w_summary), 'C') || "
    "setweight(to_tsvector('simple'::regconfig, w_body), 'D')"
)
# Serialises creating the extension (any schema, any process).
_EXTENSION_LOCK_KEY = 0x5EA2C4


def trigram_schema(session: SqlSession) -> str | None:
    """Where ``pg_trgm`` is installed in this database, if it is."""
    row = session.fetchone(
        "SELECT n.nspname FROM pg_extension e "
        "JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
    )
    return str(row[0]) if row else None


def ensure_trigrams(session: SqlSession) -> str:
    """Create ``pg_trgm`` in ``public`` unless it is installed; its schema."""
    session.execute("SELECT pg_advisory_xact_lock(%s)", (_EXTENSION_LOCK_KEY,))
    schema = trigram_schema(session)
    if schema is None:
        session.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
        schema = "public"
    return schema


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class PostgresIndexWriter(SearchIndexWriter):
    def setup(self, session: SqlSession) -> None:
        super().setup(session)
        trgm = _quoted(ensure_trigrams(session))
        offerings, words = self.t(OFFERINGS), self.t(WORDS)
        session.execute(
            f"ALTER TABLE {offerings} ADD COLUMN IF NOT EXISTS document tsvector "
            f"GENERATED ALWAYS AS ({_DOCUMENT}) STORED"
        )
        session.execute(
            f"CREATE INDEX IF NOT EXISTS {offerings}_document "
            f"ON {offerings} USING gin (document)"
        )
        session.execute(
            f"CREATE INDEX IF NOT EXISTS {words}_trgm "
            f"ON {words} USING gin (word {trgm}.gin_trgm_ops)"
        )


class PostgresOfferingSearch(SearchIndexReader):
    """The search port on PostgreSQL."""

    _trgm: str | None = None

    def _schema(self, session: SqlSession) -> str:
        if self._trgm is None:
            schema = trigram_schema(session)
            if schema is None:
                raise RuntimeError(
                    "pg_trgm is not installed (the view's set-up adds it)"
                )
            self._trgm = _quoted(schema)
        return self._trgm

    def alternatives(
        self, session: SqlSession, names: ViewNames, terms: list[str]
    ) -> dict[str, list[str]]:
        """Each term and the indexed words most similar to it."""
        found: dict[str, list[str]] = {term: [term] for term in terms}
        fuzzy = [t for t in terms if len(t) >= MIN_FUZZY_LENGTH]
        if not fuzzy:
            return found
        trgm = self._schema(session)
        rows = session.fetchall(
            "SELECT t.term, w.word FROM unnest(%s::text[]) AS t(term) "
            "CROSS JOIN LATERAL ("
            f"  SELECT word, {trgm}.similarity(word, t.term) AS score "
            f"  FROM {names.table(WORDS.base)} "
            f"  WHERE word OPERATOR({trgm}.%%) t.term AND word <> t.term "
            "   ORDER BY score DESC, word LIMIT %s"
            ") w WHERE w.score >= %s ORDER BY t.term, w.score DESC, w.word",
            (fuzzy, MAX_ALTERNATIVES, SIMILARITY_THRESHOLD),
        )
        for term, word in rows:
            found[str(term)].append(str(word))
        return found

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
        alternatives = self.alternatives(session, names, terms)
        # Words are letters and digits only (``search_text.words``): safe in tsquery.
        tsquery = " & ".join("(" + " | ".join(alternatives[t]) + ")" for t in terms)
        offerings = names.table(OFFERINGS.base)
        # One statement: the matches ranked once, then the page, the facets and the
        # total from them. The score: the whole query's rank, plus that of the terms
        # as typed (so an exact word ranks above a similar one).
        page_where = ""
        page_params: tuple[object, ...] = ()
        if after is not None:
            page_where = "WHERE (score, published_at, offering_id) < (%s, %s, %s)"
            page_params = (after.score, after.published_at, after.offering_id)
        rows = session.fetchall(
            "WITH m AS MATERIALIZED ("
            "  SELECT o.offering_id, o.published_at, o.categories, "
            f"   (ts_rank('{RANK_WEIGHTS}', o.document, q.query) "
            f"    + ts_rank('{RANK_WEIGHTS}', o.document, x.exact))::float8 AS score "
            f"  FROM {offerings} o, "
            "   to_tsquery('simple', %s) AS q(query), "
            "   to_tsquery('simple', %s) AS x(exact) "
            f"  WHERE o.document @@ q.query AND {where.sql}), "
            "page AS ("
            f"  SELECT offering_id, published_at, score FROM m {page_where} "
            "   ORDER BY score DESC, published_at DESC, offering_id DESC LIMIT %s) "
            "SELECT 0 AS part, offering_id, published_at, score FROM page "
            "UNION ALL SELECT 1, c.value, NULL, count(*) "
            "  FROM m, json_array_elements_text(m.categories::json) AS c "
            "  GROUP BY c.value "
            "UNION ALL SELECT 2, NULL, NULL, count(*) FROM m "
            "ORDER BY 1, 4 DESC, 3 DESC, 2 DESC",
            (tsquery, " | ".join(terms), *where.params, *page_params, size + 1),
        )
        keys = [SortKey(float(r[3]), str(r[2]), str(r[1])) for r in rows if r[0] == 0]
        facets = {str(r[1]): int(r[3]) for r in rows if r[0] == 1}
        total = next((int(r[3]) for r in rows if r[0] == 2), 0)
        return RankedPage(keys=keys, total=total, facets=facets)
