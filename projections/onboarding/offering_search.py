"""The offering search view, ``onboarding_offering_search`` (C3, N2, N5, N6).

Kept by the projection engine from onboarding's log, in the relational views store
(PostgreSQL; SQLite when embedded), so a batch and its position commit together:

- ``srch_npos``: each NPO's name, whether it is approved, whether it is deleted;
  ``srch_npo_communities``: the communities it is placed in.
- ``srch_offerings``: one row per offering: what a hit shows (title, summary, NPO
  name, place, format, deadlines, publication), its words for the text search
  (title, NPO name, summary and description, as ``search_text.words`` splits them),
  its status and ``visible``: ACTIVE, and its NPO approved and not deleted.
  ``srch_offering_categories`` and ``srch_offering_tags`` serve filters and facets.
- ``srch_words``: every word indexed, for typo tolerance (similar words).

Each store adds its text index to the same tables: PostgreSQL a ``tsvector`` column
generated from the words (GIN index) and a trigram index (``pg_trgm``) on
``srch_words``; SQLite an FTS5 table over the words, kept by triggers
(``offering_search_postgres`` and ``offering_search_sqlite`` hold each store's DDL
and its reader of the port).

``SearchIndexWriter`` is the only writer: the projection translates events into its
calls, and a bulk load (the benchmark) uses it the same way.
"""

# Table names come from ViewNames (code), never from input; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from domain.onboarding.offering import OfferingStatus
from domain.onboarding.offering_content import OfferingContent
from ports.offering_search import OFFERING_SEARCH_VIEW
from ports.relational import SqlSession
from projections.contracts import ProjectedEvent, Projection, ViewNames
from projections.onboarding.search_text import (
    MAX_TERM_LENGTH,
    format_of,
    plain_text,
    words,
)
from projections.onboarding.tables import Table, field, when

SEARCH_PROJECTION = OFFERING_SEARCH_VIEW

NPOS = Table(
    "srch_npos",
    (
        ("npo_id", "TEXT PRIMARY KEY"),
        ("name", "TEXT NOT NULL"),
        ("approved", "INTEGER NOT NULL DEFAULT 0"),
        ("deleted", "INTEGER NOT NULL DEFAULT 0"),
    ),
)
NPO_COMMUNITIES = Table(
    "srch_npo_communities",
    (
        ("npo_id", "TEXT NOT NULL"),
        ("community_id", "TEXT NOT NULL"),
        ("rank", "INTEGER NOT NULL"),
    ),
    ("PRIMARY KEY (npo_id, community_id)",),
    (("community", "community_id, npo_id"),),
)
OFFERINGS = Table(
    "srch_offerings",
    (
        ("offering_id", "TEXT PRIMARY KEY"),
        ("npo_id", "TEXT NOT NULL"),
        ("status", "TEXT NOT NULL"),
        ("visible", "INTEGER NOT NULL DEFAULT 0"),
        ("title", "TEXT NOT NULL"),
        ("summary", "TEXT"),
        ("npo_name", "TEXT NOT NULL"),
        ("categories", "TEXT NOT NULL"),  # JSON list, in the offering's order
        ("tags", "TEXT NOT NULL"),  # JSON list
        ("region", "TEXT"),
        ("region_key", "TEXT"),  # case-folded, for the filter
        ("country", "TEXT"),
        ("format", "TEXT NOT NULL"),
        ("deadlines", "TEXT NOT NULL"),  # JSON list of due dates (date-times)
        ("last_due", "TEXT"),  # the latest deadline's date (YYYY-MM-DD)
        ("published_at", "TEXT NOT NULL"),
        ("w_title", "TEXT NOT NULL"),
        ("w_npo", "TEXT NOT NULL"),
        ("w_summary", "TEXT NOT NULL"),
        ("w_body", "TEXT NOT NULL"),
    ),
    indexes=(
        ("published", "visible, published_at, offering_id"),
        ("npo", "npo_id"),
    ),
)
CATEGORIES = Table(
    "srch_offering_categories",
    (("offering_id", "TEXT NOT NULL"), ("category", "TEXT NOT NULL")),
    ("PRIMARY KEY (offering_id, category)",),
    (("category", "category, offering_id"),),
)
TAGS = Table(
    "srch_offering_tags",
    (("offering_id", "TEXT NOT NULL"), ("tag", "TEXT NOT NULL")),
    ("PRIMARY KEY (offering_id, tag)",),
    (("tag", "tag, offering_id"),),
)
WORDS = Table(
    "srch_words",
    (("word", "TEXT PRIMARY KEY"), ("length", "INTEGER NOT NULL")),
    indexes=(("length", "length"),),
)
TABLES = (NPOS, NPO_COMMUNITIES, OFFERINGS, CATEGORIES, TAGS, WORDS)

# The columns a writer sets from an offering's content.
_CONTENT_COLUMNS = (
    "title",
    "summary",
    "categories",
    "tags",
    "region",
    "region_key",
    "country",
    "format",
    "deadlines",
    "last_due",
    "w_title",
    "w_summary",
    "w_body",
)


def _joined(text: str | None) -> str:
    return " ".join(words(text))


@dataclass(frozen=True)
class IndexedContent:
    """What the index keeps of an offering's content."""

    title: str
    summary: str | None
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    region: str | None
    country: str | None
    format: str
    dues: tuple[str, ...]
    body: str

    @classmethod
    def of(cls, content: OfferingContent) -> IndexedContent:
        location = content.location
        return cls(
            title=content.title,
            summary=content.summary,
            categories=content.categories,
            tags=content.tags,
            region=location.region,
            country=location.country,
            format=format_of(location.remote, location.address),
            dues=tuple(d.due for d in content.deadlines),
            body=plain_text(content.description_html),
        )

    def values(self) -> tuple[Any, ...]:
        """In the order of ``_CONTENT_COLUMNS``."""
        return (
            self.title,
            self.summary,
            json.dumps(list(self.categories)),
            json.dumps(list(self.tags)),
            self.region,
            self.region.casefold() if self.region else None,
            self.country,
            self.format,
            json.dumps(list(self.dues)),
            max((d[:10] for d in self.dues), default=None),
            _joined(self.title),
            _joined(self.summary),
            _joined(self.body),
        )

    def words(self) -> set[str]:
        return {*words(self.title), *words(self.summary), *words(self.body)}


@dataclass(frozen=True)
class IndexedOffering:
    """An offering as it enters the index (published by its NPO)."""

    offering_id: str
    npo_id: str
    content: IndexedContent
    published_at: str
    status: str = OfferingStatus.ACTIVE.value


class SearchIndexWriter:
    """Every change to the search view's tables (one version's)."""

    def __init__(self, names: ViewNames) -> None:
        self.names = names

    def t(self, table: Table) -> str:
        return self.names.table(table.base)

    def setup(self, session: SqlSession) -> None:
        for table in TABLES:
            table.create(session, self.names)

    def drop(self, session: SqlSession) -> None:
        for table in TABLES:
            session.execute(f"DROP TABLE IF EXISTS {self.t(table)}")

    # -- NPOs -------------------------------------------------------------------------

    def npo_registered(self, session: SqlSession, npo_id: str, name: str) -> None:
        session.execute(
            f"INSERT INTO {self.t(NPOS)} (npo_id, name) VALUES (%s, %s) "
            "ON CONFLICT (npo_id) DO UPDATE SET name = excluded.name",
            (npo_id, name),
        )
        self.add_words(session, words(name))

    def npo_renamed(self, session: SqlSession, npo_id: str, name: str) -> None:
        session.execute(
            f"UPDATE {self.t(NPOS)} SET name = %s WHERE npo_id = %s", (name, npo_id)
        )
        session.execute(
            f"UPDATE {self.t(OFFERINGS)} SET npo_name = %s, w_npo = %s "
            "WHERE npo_id = %s AND (npo_name <> %s)",
            (name, _joined(name), npo_id, name),
        )
        self.add_words(session, words(name))

    def npo_placed(
        self, session: SqlSession, npo_id: str, community_ids: Sequence[str]
    ) -> None:
        session.execute(
            f"DELETE FROM {self.t(NPO_COMMUNITIES)} WHERE npo_id = %s", (npo_id,)
        )
        session.executemany(
            f"INSERT INTO {self.t(NPO_COMMUNITIES)} (npo_id, community_id, rank) "
            "VALUES (%s, %s, %s)",
            [(npo_id, c, rank) for rank, c in enumerate(dict.fromkeys(community_ids))],
        )

    def npo_approved(self, session: SqlSession, npo_id: str) -> None:
        session.execute(
            f"UPDATE {self.t(NPOS)} SET approved = 1 WHERE npo_id = %s", (npo_id,)
        )
        self._refresh_visibility(session, "npo_id", npo_id)

    def npo_deleted(self, session: SqlSession, npo_id: str) -> None:
        session.execute(
            f"UPDATE {self.t(NPOS)} SET deleted = 1, approved = 0 WHERE npo_id = %s",
            (npo_id,),
        )
        self._refresh_visibility(session, "npo_id", npo_id)

    # -- Offerings --------------------------------------------------------------------

    def offerings_published(
        self, session: SqlSession, offerings: Sequence[IndexedOffering]
    ) -> None:
        """Enter offerings (a bulk load passes many), visible if active and their
        NPO is approved; an offering entered again is replaced."""
        if not offerings:
            return
        columns = (
            "offering_id",
            "npo_id",
            "status",
            "visible",
            "npo_name",
            "w_npo",
            "published_at",
            *_CONTENT_COLUMNS,
        )
        npos = self._npos(session, {o.npo_id for o in offerings})
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns[1:])
        rows = []
        for o in offerings:
            name, shown = npos.get(o.npo_id, ("", False))
            visible = shown and o.status == OfferingStatus.ACTIVE.value
            rows.append(
                (
                    o.offering_id,
                    o.npo_id,
                    o.status,
                    1 if visible else 0,
                    name,
                    _joined(name),
                    o.published_at,
                    *o.content.values(),
                )
            )
        session.executemany(
            f"INSERT INTO {self.t(OFFERINGS)} ({', '.join(columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))}) "
            f"ON CONFLICT (offering_id) DO UPDATE SET {updates}",
            rows,
        )
        self._replace_labels(session, [(o.offering_id, o.content) for o in offerings])
        found: set[str] = set()
        for o in offerings:
            found |= o.content.words()
        self.add_words(session, found)

    def offering_updated(
        self, session: SqlSession, offering_id: str, content: IndexedContent
    ) -> None:
        assignments = ", ".join(f"{c} = %s" for c in _CONTENT_COLUMNS)
        session.execute(
            f"UPDATE {self.t(OFFERINGS)} SET {assignments} WHERE offering_id = %s",
            (*content.values(), offering_id),
        )
        self._replace_labels(session, [(offering_id, content)])
        self.add_words(session, content.words())

    def offering_status(
        self, session: SqlSession, offering_id: str, status: OfferingStatus
    ) -> None:
        session.execute(
            f"UPDATE {self.t(OFFERINGS)} SET status = %s WHERE offering_id = %s",
            (status.value, offering_id),
        )
        self._refresh_visibility(session, "offering_id", offering_id)

    def add_words(self, session: SqlSession, found: Iterable[str]) -> None:
        kept = sorted({w for w in found if len(w) <= MAX_TERM_LENGTH})
        session.executemany(
            f"INSERT INTO {self.t(WORDS)} (word, length) VALUES (%s, %s) "
            "ON CONFLICT (word) DO NOTHING",
            [(w, len(w)) for w in kept],
        )

    # -- Helpers ----------------------------------------------------------------------

    def _npos(
        self, session: SqlSession, npo_ids: set[str]
    ) -> dict[str, tuple[str, bool]]:
        """Each NPO's name, and whether its offerings may be shown."""
        found: dict[str, tuple[str, bool]] = {}
        ordered = sorted(npo_ids)
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            rows = session.fetchall(
                f"SELECT npo_id, name, approved, deleted FROM {self.t(NPOS)} "
                f"WHERE npo_id IN ({', '.join(['%s'] * len(chunk))})",
                chunk,
            )
            found.update(
                {str(r[0]): (str(r[1]), bool(r[2]) and not r[3]) for r in rows}
            )
        return found

    def _replace_labels(
        self,
        session: SqlSession,
        contents: Sequence[tuple[str, IndexedContent]],
    ) -> None:
        labels: tuple[tuple[Table, str, Callable[[IndexedContent], Sequence[str]]], ...]
        labels = (
            (CATEGORIES, "category", lambda c: c.categories),
            (TAGS, "tag", lambda c: c.tags),
        )
        for table, column, of in labels:
            name = self.t(table)
            session.executemany(
                f"DELETE FROM {name} WHERE offering_id = %s",
                [(offering_id,) for offering_id, _ in contents],
            )
            session.executemany(
                f"INSERT INTO {name} (offering_id, {column}) VALUES (%s, %s) "
                f"ON CONFLICT (offering_id, {column}) DO NOTHING",
                [
                    (offering_id, value)
                    for offering_id, content in contents
                    for value in dict.fromkeys(of(content))
                ],
            )

    def _refresh_visibility(self, session: SqlSession, column: str, value: str) -> None:
        """Recompute ``visible`` where it changes (so nothing else is rewritten)."""
        offerings = self.t(OFFERINGS)
        visible = (
            "CASE WHEN status = 'ACTIVE' AND EXISTS ("
            f"SELECT 1 FROM {self.t(NPOS)} n WHERE n.npo_id = {offerings}.npo_id "
            "AND n.approved = 1 AND n.deleted = 0) THEN 1 ELSE 0 END"
        )
        session.execute(
            f"UPDATE {offerings} SET visible = {visible} "
            f"WHERE {column} = %s AND visible <> {visible}",
            (value,),
        )


# --- The projection ------------------------------------------------------------------

Apply = Callable[[SearchIndexWriter, SqlSession, ProjectedEvent], None]


def _content(item: ProjectedEvent) -> IndexedContent:
    return IndexedContent.of(OfferingContent.from_state(field(item, "content")))


def _npo_name(item: ProjectedEvent) -> str:
    profile: Mapping[str, Any] = field(item, "profile")
    return str(profile["name"])


_APPLY: dict[str, Apply] = {
    "Npo.Registered": lambda w, s, e: w.npo_registered(
        s, str(e.originator_id), _npo_name(e)
    ),
    "Npo.ProfileUpdated": lambda w, s, e: w.npo_renamed(
        s, str(e.originator_id), _npo_name(e)
    ),
    "Npo.Placed": lambda w, s, e: w.npo_placed(
        s, str(e.originator_id), field(e, "community_ids")
    ),
    "Npo.Approved": lambda w, s, e: w.npo_approved(s, str(e.originator_id)),
    "Npo.Deleted": lambda w, s, e: w.npo_deleted(s, str(e.originator_id)),
    "Offering.Created": lambda w, s, e: w.offerings_published(
        s,
        [
            IndexedOffering(
                offering_id=str(e.originator_id),
                npo_id=str(field(e, "npo_id")),
                content=_content(e),
                published_at=when(e),
            )
        ],
    ),
    "Offering.Updated": lambda w, s, e: w.offering_updated(
        s, str(e.originator_id), _content(e)
    ),
    "Offering.TakenDown": lambda w, s, e: w.offering_status(
        s, str(e.originator_id), OfferingStatus.TAKEN_DOWN
    ),
    "Offering.Deleted": lambda w, s, e: w.offering_status(
        s, str(e.originator_id), OfferingStatus.DELETED
    ),
}


def writer_for(session: SqlSession, names: ViewNames) -> SearchIndexWriter:
    """The writer with the store's own text index."""
    if session.dialect == "postgres":
        from projections.onboarding.offering_search_postgres import PostgresIndexWriter

        return PostgresIndexWriter(names)
    from projections.onboarding.offering_search_sqlite import SqliteIndexWriter

    return SqliteIndexWriter(names)


class OfferingSearchView(Projection):
    name = SEARCH_PROJECTION
    sources: ClassVar[tuple[str, ...]] = ("onboarding",)

    def setup(self, session: SqlSession) -> None:
        writer_for(session, self.names).setup(session)

    def drop(self, session: SqlSession) -> None:
        writer_for(session, self.names).drop(session)

    def apply(self, session: SqlSession, events: Sequence[ProjectedEvent]) -> None:
        writer = writer_for(session, self.names)
        for item in events:
            found = _APPLY.get(item.topic.rpartition(":")[2])
            if found is not None:
                found(writer, session, item)
