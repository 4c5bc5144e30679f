"""The enrolments view (NP5, NP6): who is enrolled in an NPO's offerings, how far
they got, and how they rated them.

An offering item approved on a candidate's roadmap (``Roadmap.ItemApproved`` or
``SuggestionAccepted``) enrols the candidate in the offering. One projection,
``careers_enrolments``, over the careers log (``Roadmap`` events), its table changed
with its tracked position in one transaction:

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

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

from domain.careers.progress import ItemFigures, item_progress, percent
from domain.careers.roadmap_items import ItemKind, ItemStatus
from ports.relational import RelationalStore, SqlSession
from projections.contracts import ProjectedEvent, Projection, ViewNames, ViewPorts
from projections.engine import live_names

ENROLMENTS_PROJECTION = "careers_enrolments"
ENROLMENTS = "car_enrolments"

_COLUMNS = (
    "roadmap_id, item_id, candidate_id, npo_id, offering_id, status, done_modules, "
    "total_modules, enrolled_at, completed_at, withdrawn_at, rating"
)


def _event(item: ProjectedEvent) -> Any:
    return item.event


def _when(item: ProjectedEvent) -> str:
    stamp: datetime = _event(item).timestamp
    return stamp.astimezone(UTC).isoformat(timespec="microseconds")


class EnrolmentsView(Projection):
    """Each offering item of every roadmap, once asked for."""

    name = ENROLMENTS_PROJECTION
    sources: ClassVar[tuple[str, ...]] = ("careers",)

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
        for item in events:
            handler = _HANDLERS.get(item.topic.rpartition(":")[2])
            if handler is not None:
                handler(self, session, item)

    # -- Asked for ------------------------------------------------------------------

    def _asked(self, session: SqlSession, item: ProjectedEvent) -> None:
        event: Any = item.event
        skeleton = event.item
        if skeleton.get("kind") != ItemKind.OFFERING.value:
            return
        status = (
            ItemStatus.SUGGESTED
            if item.topic.endswith("ItemSuggested")
            else ItemStatus.PENDING_APPROVAL
        )
        session.execute(
            f"INSERT INTO {self.table} ({_COLUMNS}) VALUES "
            "(%s, %s, %s, %s, %s, %s, 0, %s, NULL, NULL, NULL, NULL) "
            "ON CONFLICT (roadmap_id, item_id) DO NOTHING",
            (
                str(item.originator_id),
                str(event.item_id),
                str(event.candidate_id),
                str(skeleton.get("npo_id") or ""),
                str(skeleton.get("offering_id") or ""),
                status.value,
                len(skeleton.get("modules") or ()),
            ),
        )

    def _approved(self, session: SqlSession, item: ProjectedEvent) -> None:
        session.execute(
            f"UPDATE {self.table} SET status = %s, enrolled_at = %s "
            "WHERE roadmap_id = %s AND item_id = %s",
            (
                ItemStatus.NOT_STARTED.value,
                _when(item),
                str(item.originator_id),
                str(_event(item).item_id),
            ),
        )

    def _declined(self, session: SqlSession, item: ProjectedEvent) -> None:
        session.execute(
            f"DELETE FROM {self.table} WHERE roadmap_id = %s AND item_id = %s",
            (str(item.originator_id), str(_event(item).item_id)),
        )

    # -- Worked through ---------------------------------------------------------------

    def _marked(self, session: SqlSession, item: ProjectedEvent) -> None:
        # The roadmap records a mark only when it changes the module.
        step = 1 if _event(item).done else -1
        session.execute(
            f"UPDATE {self.table} SET done_modules = done_modules + %s, "
            "status = CASE WHEN %s AND status = %s THEN %s ELSE status END "
            "WHERE roadmap_id = %s AND item_id = %s",
            (
                step,
                bool(_event(item).done),
                ItemStatus.NOT_STARTED.value,
                ItemStatus.IN_PROGRESS.value,
                str(item.originator_id),
                str(_event(item).item_id),
            ),
        )

    def _started(self, session: SqlSession, item: ProjectedEvent) -> None:
        session.execute(
            f"UPDATE {self.table} SET status = %s "
            "WHERE roadmap_id = %s AND item_id = %s",
            (
                ItemStatus.IN_PROGRESS.value,
                str(item.originator_id),
                str(_event(item).item_id),
            ),
        )

    def _completed(self, session: SqlSession, item: ProjectedEvent) -> None:
        session.execute(
            f"UPDATE {self.table} SET status = %s, completed_at = %s "
            "WHERE roadmap_id = %s AND item_id = %s",
            (
                ItemStatus.COMPLETED.value,
                _when(item),
                str(item.originator_id),
                str(_event(item).item_id),
            ),
        )

    def _withdrawn(self, session: SqlSession, item: ProjectedEvent) -> None:
        session.execute(
            f"UPDATE {self.table} SET status = %s, withdrawn_at = %s "
            "WHERE roadmap_id = %s AND item_id = %s",
            (
                ItemStatus.WITHDRAWN.value,
                _when(item),
                str(item.originator_id),
                str(_event(item).item_id),
            ),
        )

    # -- Rated, erased ----------------------------------------------------------------

    def _rated(self, session: SqlSession, item: ProjectedEvent) -> None:
        roadmap_id = str(item.originator_id)
        session.execute(
            f"UPDATE {self.table} SET rating = NULL WHERE roadmap_id = %s",
            (roadmap_id,),
        )
        ratings: dict[str, int] = dict(_event(item).item_ratings or {})
        for item_id, rating in sorted(ratings.items()):
            session.execute(
                f"UPDATE {self.table} SET rating = %s "
                "WHERE roadmap_id = %s AND item_id = %s",
                (int(rating), roadmap_id, str(item_id)),
            )

    def _erased(self, session: SqlSession, item: ProjectedEvent) -> None:
        session.execute(
            f"DELETE FROM {self.table} WHERE roadmap_id = %s",
            (str(item.originator_id),),
        )


_HANDLERS: dict[str, Callable[[EnrolmentsView, SqlSession, ProjectedEvent], None]] = {
    "Roadmap.ItemRequested": EnrolmentsView._asked,
    "Roadmap.ItemSuggested": EnrolmentsView._asked,
    "Roadmap.ItemApproved": EnrolmentsView._approved,
    "Roadmap.SuggestionAccepted": EnrolmentsView._approved,
    "Roadmap.ItemDeclined": EnrolmentsView._declined,
    "Roadmap.ModuleMarked": EnrolmentsView._marked,
    "Roadmap.ItemStarted": EnrolmentsView._started,
    "Roadmap.ItemCompleted": EnrolmentsView._completed,
    "Roadmap.ItemWithdrawn": EnrolmentsView._withdrawn,
    "Roadmap.FeedbackGiven": EnrolmentsView._rated,
    "Roadmap.Erased": EnrolmentsView._erased,
}


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
