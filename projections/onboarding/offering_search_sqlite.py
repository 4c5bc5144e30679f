"""The offering search on SQLite (embedded): FTS5.

An FTS5 table (``unicode61`` words, as ``search_text.words`` splits them) holds each
offering's words by field (title, NPO name, summary, description); triggers keep it
in step with ``srch_offerings``, keyed by ``srch_fts_ids`` (a stable integer per
offering: FTS5 rows are found by integer).

A search finds, for each term, the indexed words similar to it
(``search_text.closest`` over the words of a possible length), matches
``("term" OR "similar"…) AND …`` with FTS5, and ranks the matches here with a score
of the offering's own words (best field per term: title 1, NPO name 0.4, summary
0.2, description 0.1, half for a similar word): FTS5's ``bm25`` depends on every
other offering, so its scores (and a cursor holding one) would move as offerings
are added.
"""

# Table names come from ViewNames (code), never from input; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

import json

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
    MIN_FUZZY_LENGTH,
    SortKey,
    closest,
    length_window,
)

FTS = "srch_fts"
FTS_IDS = "srch_fts_ids"
# Fields of the FTS table, in order, with their weight in the score.
FIELDS = (("w_title", 1.0), ("w_npo", 0.4), ("w_summary", 0.2), ("w_body", 0.1))
SIMILAR_WORD_FACTOR = 0.5


class SqliteIndexWriter(SearchIndexWriter):
    def setup(self, session: SqlSession) -> None:
        super().setup(session)
        offerings = self.t(OFFERINGS)
        fts, ids = self.names.table(FTS), self.names.table(FTS_IDS)
        columns = ", ".join(name for name, _ in FIELDS)
        new_values = ", ".join(f"new.{name}" for name, _ in FIELDS)
        session.execute(
            f"CREATE TABLE IF NOT EXISTS {ids} "
            "(doc_id INTEGER PRIMARY KEY, offering_id TEXT NOT NULL UNIQUE)"
        )
        session.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5("
            f"{columns}, tokenize = 'unicode61 remove_diacritics 0')"
        )
        doc_id = f"(SELECT doc_id FROM {ids} WHERE offering_id = new.offering_id)"
        session.execute(
            f"CREATE TRIGGER IF NOT EXISTS {fts}_insert AFTER INSERT ON {offerings} "
            "BEGIN "
            f"INSERT OR IGNORE INTO {ids} (offering_id) VALUES (new.offering_id); "
            f"DELETE FROM {fts} WHERE rowid = {doc_id}; "
            f"INSERT INTO {fts} (rowid, {columns}) VALUES ({doc_id}, {new_values}); "
            "END"
        )
        session.execute(
            f"CREATE TRIGGER IF NOT EXISTS {fts}_update "
            f"AFTER UPDATE OF {columns} ON {offerings} "
            "BEGIN "
            f"DELETE FROM {fts} WHERE rowid = {doc_id}; "
            f"INSERT INTO {fts} (rowid, {columns}) VALUES ({doc_id}, {new_values}); "
            "END"
        )

    def drop(self, session: SqlSession) -> None:
        super().drop(session)
        session.execute(f"DROP TABLE IF EXISTS {self.names.table(FTS)}")
        session.execute(f"DROP TABLE IF EXISTS {self.names.table(FTS_IDS)}")


def _score(fields: dict[str, set[str]], alternatives: list[list[str]]) -> float:
    total = 0.0
    for group in alternatives:
        term, similar = group[0], group[1:]
        best = 0.0
        for name, weight in FIELDS:
            present = fields[name]
            if term in present:
                best = max(best, weight)
            elif any(word in present for word in similar):
                best = max(best, weight * SIMILAR_WORD_FACTOR)
        total += best
    return total


class SqliteOfferingSearch(SearchIndexReader):
    """The search port on SQLite."""

    def alternatives(
        self, session: SqlSession, names: ViewNames, terms: list[str]
    ) -> list[list[str]]:
        found: list[list[str]] = []
        for term in terms:
            if len(term) < MIN_FUZZY_LENGTH:
                found.append([term])
                continue
            low, high = length_window(term)
            rows = session.fetchall(
                f"SELECT word FROM {names.table(WORDS.base)} "
                "WHERE length BETWEEN %s AND %s",
                (low, high),
            )
            found.append(closest(term, (str(r[0]) for r in rows)))
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
        # Words are letters and digits only (``search_text.words``): safe quoted.
        match = " AND ".join(
            "(" + " OR ".join(f'"{word}"' for word in group) + ")"
            for group in alternatives
        )
        fts = names.table(FTS)
        fields = ", ".join(f"o.{name}" for name, _ in FIELDS)
        rows = session.fetchall(
            f"SELECT o.offering_id, o.published_at, o.categories, {fields} "
            f"FROM {fts} f JOIN {names.table(FTS_IDS)} i ON i.doc_id = f.rowid "
            f"JOIN {names.table(OFFERINGS.base)} o ON o.offering_id = i.offering_id "
            f"WHERE {fts} MATCH %s AND {where.sql}",
            (match, *where.params),
        )
        keys: list[SortKey] = []
        facets: dict[str, int] = {}
        for offering_id, published_at, categories, *texts in rows:
            words = {
                name: set(str(text).split())
                for (name, _), text in zip(FIELDS, texts, strict=True)
            }
            keys.append(
                SortKey(
                    _score(words, alternatives), str(published_at), str(offering_id)
                )
            )
            for category in dict.fromkeys(json.loads(categories)):
                facets[category] = facets.get(category, 0) + 1
        ordered = sorted(
            keys, key=lambda k: (k.score, k.published_at, k.offering_id), reverse=True
        )
        if after is not None:
            start = (after.score, after.published_at, after.offering_id)
            ordered = [
                k for k in ordered if (k.score, k.published_at, k.offering_id) < start
            ]
        return RankedPage(keys=ordered[: size + 1], total=len(keys), facets=facets)
