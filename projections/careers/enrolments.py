"""The enrolments view (NP5, NP6): who is enrolled in an NPO's offerings, how far
they got, and how they rated them.

An offering item approved on a candidate's roadmap (``Roadmap.ItemApproved`` or
``SuggestionAccepted``) enrols the candidate in the offering. One projection,
``careers_enrolments``, over the careers log, its table changed with its tracked
position in one transaction: after each batch, a changed roadmap's rows are replaced
by what the roadmap, loaded as it is now, says (the domain's own rules; a rebuild
gives the same rows):

- ``car_enrolments``: one row per offering item of a roadmap (``roadmap_id``,
  ``item_id``), with the NPO and offering it copies (the item's own references),
  the candidate, the item's status, its modules done of all, when it was enrolled
  (approved; NULL while it waits: not an enrolment yet), completed and withdrawn,
  and the candidate's rating of the item (their feedback on the completed roadmap;
  rating again replaces it). A declined item leaves no row.

Rows hold ids, statuses, counts, times and ratings: nothing an item's title or a
comment says. A roadmap erased (``Roadmap.Erased``, with the candidate) leaves no
row. ``EnrolmentsReader`` reads them as typed rows; the item's progress is the
domain's figure (``domain.careers.progress``) of its counts.
"""

# Table names come from ViewNames (code), never from input; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from domain.careers.progress import ItemFigures, item_progress, percent
from domain.careers.roadmap import Roadmap
from domain.careers.roadmap_items import ItemKind, ItemStatus
from ports.relational import RelationalStore, SqlSession
from projections.careers.roadmaps import RoadmapLoader, touched
from projections.contracts import ProjectedEvent, Projection, ViewNames, ViewPorts
from projections.engine import live_names

ENROLMENTS_PROJECTION = "careers_enrolments"
ENROLMENTS = "car_enrolments"

_COLUMNS = (
    "roadmap_id, item_id, candidate_id, npo_id, offering_id, status, done_modules, "
    "total_modules, enrolled_at, completed_at, withdrawn_at, rating"
)


class EnrolmentsView(Projection):
    """Each offering item of every roadmap, once asked for (bound, ``bound``, to the
    way to load a roadmap as it is now)."""

    name = ENROLMENTS_PROJECTION
    sources: ClassVar[tuple[str, ...]] = ("careers",)
    load_roadmap: ClassVar[RoadmapLoader]

    @classmethod
    def bound(cls, load: RoadmapLoader) -> type[EnrolmentsView]:
        """This projection reading roadmaps through ``load``."""
        return type(cls.__name__, (cls,), {"load_roadmap": staticmethod(load)})

    def __init__(self, names: ViewNames, ports: ViewPorts) -> None:
        super().__init__(names, ports)
        self.table = names.table(ENROLMENTS)

    def setup(self, session: SqlSession) -> None:
        session.execute(
            f"CREATE TABLE IF NOT EXISTS {self.table} (roadmap_id TEXT NOT NULL, "
            "item_id TEXT NOT NULL, candidate_id TEXT NOT NULL, npo_id TEXT NOT NULL, "
            "offering_id TEXT NOT NULL, status TEXT NOT NULL, "
            "done_modules INTEGER NOT NULL, total_modules INTEGER NOT NULL, "
            "enrolled_at TEXT, completed_at TEXT, withdrawn_at TEXT, rating INTEGER, "
            "PRIMARY KEY (roadmap_id, item_id))"
        )
        session.execute(
            f"CREATE INDEX IF NOT EXISTS {self.table}_npo ON {self.table} "
            "(npo_id, enrolled_at)"
        )

    def drop(self, session: SqlSession) -> None:
        session.execute(f"DROP TABLE IF EXISTS {self.table}")

    def apply(self, session: SqlSession, events: Sequence[ProjectedEvent]) -> None:
        # Each roadmap the batch changed, once, as it is now (it holds every later
        # event of the batch): its rows are replaced by what the domain says.
        load = type(self).load_roadmap  # a plain function stored on the class
        for roadmap_id in touched(events):
            session.execute(
                f"DELETE FROM {self.table} WHERE roadmap_id = %s", (str(roadmap_id),)
            )
            roadmap = load(roadmap_id)
            if roadmap is None or roadmap.erased:
                continue
            for row in _rows(roadmap):
                session.execute(
                    f"INSERT INTO {self.table} ({_COLUMNS}) VALUES "
                    "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    row,
                )


def _rows(roadmap: Roadmap) -> list[tuple[Any, ...]]:
    """A row per offering item asked for or suggested (none once declined)."""
    ratings = (roadmap.feedback or {}).get("item_ratings") or {}
    rows = []
    for item in roadmap.items.values():
        if item.kind != ItemKind.OFFERING or item.status == ItemStatus.DECLINED:
            continue
        withdrawn_at = next(
            (at for status, at in item.history if status == ItemStatus.WITHDRAWN),
            None,
        )
        rows.append(
            (
                str(roadmap.id),
                item.id,
                roadmap.candidate_id,
                item.npo_id or "",
                item.offering_id or "",
                item.status.value,
                item.done_modules,
                len(item.modules),
                item.approved_at,
                item.completed_at,
                withdrawn_at,
                ratings.get(item.id),
            )
        )
    return rows


# --- Reading -------------------------------------------------------------------------


@dataclass(frozen=True)
class EnrolmentRow:
    """A candidate's enrolment in an offering (an approved offering item)."""

    roadmap_id: str
    candidate_id: str
    item_id: str
    npo_id: str
    offering_id: str
    status: ItemStatus
    done_modules: int
    total_modules: int
    enrolled_at: str
    completed_at: str | None
    withdrawn_at: str | None
    rating: int | None

    @property
    def percent(self) -> Decimal:
        """The item's progress as the roadmap figures it (one decimal)."""
        return percent(
            item_progress(
                ItemFigures(
                    done_modules=self.done_modules,
                    total_modules=self.total_modules,
                    completed=self.status == ItemStatus.COMPLETED,
                )
            )
        )


class EnrolmentsReader:
    """Typed reads of the live version."""

    def __init__(self, views: RelationalStore) -> None:
        self._views = views

    def of_npo(
        self, npo_id: str, after: tuple[str, str, str] | None = None, limit: int = 0
    ) -> list[EnrolmentRow]:
        """The NPO's enrolments, the earliest first, after the (enrolled_at,
        roadmap_id, item_id) key ``after``; at most ``limit`` (0: all)."""
        where = "npo_id = %s AND enrolled_at IS NOT NULL"
        params: list[Any] = [npo_id]
        if after is not None:
            where += (
                " AND (enrolled_at > %s OR (enrolled_at = %s AND (roadmap_id > %s "
                "OR (roadmap_id = %s AND item_id > %s))))"
            )
            params += [after[0], after[0], after[1], after[1], after[2]]
        bound = ""
        if limit:
            bound = " LIMIT %s"
            params.append(limit)
        with self._views.transaction() as session:
            table = live_names(session, ENROLMENTS_PROJECTION).table(ENROLMENTS)
            rows = session.fetchall(
                f"SELECT {_COLUMNS} FROM {table} WHERE {where} "
                f"ORDER BY enrolled_at, roadmap_id, item_id{bound}",
                tuple(params),
            )
        return [_row(r) for r in rows]


def _row(values: Sequence[Any]) -> EnrolmentRow:
    (
        roadmap_id,
        item_id,
        candidate_id,
        npo_id,
        offering_id,
        status,
        done_modules,
        total_modules,
        enrolled_at,
        completed_at,
        withdrawn_at,
        rating,
    ) = values
    return EnrolmentRow(
        roadmap_id=str(roadmap_id),
        candidate_id=str(candidate_id),
        item_id=str(item_id),
        npo_id=str(npo_id),
        offering_id=str(offering_id),
        status=ItemStatus(str(status)),
        done_modules=int(done_modules),
        total_modules=int(total_modules),
        enrolled_at=str(enrolled_at),
        completed_at=None if completed_at is None else str(completed_at),
        withdrawn_at=None if withdrawn_at is None else str(withdrawn_at),
        rating=None if rating is None else int(rating),
    )
