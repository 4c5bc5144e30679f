"""Offering documents in MongoDB (the design's document database for offerings),
and their typed reader.

One document per offering, ``_id`` the offering id, holding its whole content (as
``OfferingContent.to_state``), its resources, its status and ``version`` (the
aggregate's version, which an edit must name). FerretDB has no transactions, so each
write is guarded by the version (``DocumentStore.upsert_if_newer``): a batch applied
again after a crash finds the document at that version or newer and changes
nothing. Within a batch, an offering's events are folded into one write.

``OfferingReader`` answers ``OfferingRow``s: the content as an ``OfferingContent``,
the resources as ``ResourceRow``s.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from domain.onboarding.offering import OfferingStatus
from domain.onboarding.offering_content import OfferingContent
from domain.onboarding.resource import ResourceState
from ports.documents import DocumentStore, JSONDocument
from ports.relational import RelationalStore, SqlSession
from projections.contracts import ProjectedEvent, Projection
from projections.engine import live_names
from projections.onboarding.tables import field, when

OFFERINGS_PROJECTION = "onboarding_offerings"
OFFERINGS_COLLECTION = "offerings"


def _resource(doc: JSONDocument, resource_id: str) -> dict[str, Any]:
    for resource in doc.get("resources", []):
        if resource["id"] == resource_id:
            found: dict[str, Any] = resource
            return found
    return {}  # not there: the change has nothing to apply to


def _created(doc: JSONDocument, item: ProjectedEvent) -> None:
    at = when(item)
    doc.clear()
    doc.update(OfferingContent.from_state(field(item, "content")).to_state())
    doc.update(
        npo_id=field(item, "npo_id"),
        status="ACTIVE",
        status_reason=None,
        resources=[],
        created_at=at,
        created_by=getattr(item.event, "actor_id", None),
    )


def _updated(doc: JSONDocument, item: ProjectedEvent) -> None:
    doc.update(OfferingContent.from_state(field(item, "content")).to_state())


def _upload_started(doc: JSONDocument, item: ProjectedEvent) -> None:
    doc.setdefault("resources", []).append(
        {
            "id": field(item, "resource_id"),
            "filename": field(item, "filename"),
            "content_type": field(item, "content_type"),
            "declared_size": field(item, "declared_size"),
            "key": field(item, "key"),
            "state": "AWAITING_UPLOAD",
            "size": None,
            "sha256": None,
            "reason": None,
            "added_at": when(item),
        }
    )


def _attached(doc: JSONDocument, item: ProjectedEvent) -> None:
    _resource(doc, field(item, "resource_id")).update(
        state="READY",
        content_type=field(item, "content_type"),
        size=field(item, "size"),
        sha256=field(item, "sha256"),
        key=field(item, "key"),  # the accepted key (v1: where it was uploaded)
    )


def _rejected(doc: JSONDocument, item: ProjectedEvent) -> None:
    _resource(doc, field(item, "resource_id")).update(
        state="REJECTED", reason=field(item, "reason")
    )


def _removed(doc: JSONDocument, item: ProjectedEvent) -> None:
    resource_id = field(item, "resource_id")
    doc["resources"] = [r for r in doc.get("resources", []) if r["id"] != resource_id]


def _taken_down(doc: JSONDocument, item: ProjectedEvent) -> None:
    doc.update(status="TAKEN_DOWN", status_reason=field(item, "reason"))


def _deleted(doc: JSONDocument, item: ProjectedEvent) -> None:
    doc.update(status="DELETED")


Fold = Callable[[JSONDocument, ProjectedEvent], None]

_FOLDS: dict[str, Fold] = {
    "Offering.Created": _created,
    "Offering.Updated": _updated,
    "Offering.ResourceUploadStarted": _upload_started,
    "Offering.ResourceAttached": _attached,
    "Offering.ResourceRejected": _rejected,
    "Offering.ResourceRemoved": _removed,
    "Offering.TakenDown": _taken_down,
    "Offering.Deleted": _deleted,
}


class OfferingDocuments(Projection):
    name = OFFERINGS_PROJECTION
    sources: ClassVar[tuple[str, ...]] = ("onboarding",)

    @property
    def collection(self) -> str:
        return self.names.collection(OFFERINGS_COLLECTION)

    def setup(self, session: SqlSession) -> None:
        return None

    def drop(self, session: SqlSession) -> None:
        self.ports.documents.drop(self.collection)

    def apply(self, session: SqlSession, events: Sequence[ProjectedEvent]) -> None:
        by_offering: dict[str, list[ProjectedEvent]] = {}
        for item in events:
            if item.topic.rpartition(":")[2] in _FOLDS:
                by_offering.setdefault(str(item.originator_id), []).append(item)
        documents = self.ports.documents
        for offering_id, items in by_offering.items():
            current = documents.get(self.collection, offering_id)
            stored = int(current.get("_version", 0)) if current else 0
            doc: JSONDocument = {
                k: v for k, v in (current or {}).items() if k not in {"_id", "_version"}
            }
            last = 0
            for item in items:
                if item.originator_version <= stored:
                    continue  # applied before (a batch applied again)
                _FOLDS[item.topic.rpartition(":")[2]](doc, item)
                doc.update(version=item.originator_version, updated_at=when(item))
                last = item.originator_version
            if last:
                documents.upsert_if_newer(self.collection, offering_id, last, doc)


# --- Reading -------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceRow:
    id: str
    filename: str
    content_type: str
    state: ResourceState
    size: int | None
    declared_size: int
    sha256: str | None
    reason: str | None
    added_at: str | None
    # Where the bytes are in the object store (never shown): the upload key while
    # awaiting, the accepted key once READY.
    key: str

    @classmethod
    def of(cls, document: Mapping[str, Any]) -> ResourceRow:
        return cls(
            id=str(document["id"]),
            filename=document["filename"],
            content_type=document["content_type"],
            state=ResourceState(document["state"]),
            size=document.get("size"),
            declared_size=int(document["declared_size"]),
            sha256=document.get("sha256"),
            reason=document.get("reason"),
            added_at=document.get("added_at"),
            key=str(document["key"]),
        )


@dataclass(frozen=True)
class OfferingRow:
    id: str
    npo_id: str
    version: int
    status: OfferingStatus
    status_reason: str | None
    content: OfferingContent
    resources: tuple[ResourceRow, ...]
    created_at: str
    created_by: str | None
    updated_at: str

    @classmethod
    def of(cls, document: Mapping[str, Any]) -> OfferingRow:
        return cls(
            id=str(document["_id"]),
            npo_id=str(document["npo_id"]),
            version=int(document.get("version", 0)),
            status=OfferingStatus(document["status"]),
            status_reason=document.get("status_reason"),
            content=OfferingContent.from_state(document),
            resources=tuple(ResourceRow.of(r) for r in document.get("resources", [])),
            created_at=str(document.get("created_at", "")),
            created_by=document.get("created_by"),
            updated_at=str(document.get("updated_at", "")),
        )

    def resource(self, resource_id: str) -> ResourceRow | None:
        return next((r for r in self.resources if r.id == resource_id), None)


class OfferingReader:
    """Typed reads of the offering documents (of the projection's live version)."""

    def __init__(self, views: RelationalStore, documents: DocumentStore) -> None:
        self._views = views
        self._documents = documents

    def _collection(self) -> str:
        with self._views.transaction() as session:
            names = live_names(session, OFFERINGS_PROJECTION)
        return names.collection(OFFERINGS_COLLECTION)

    def get(self, offering_id: str) -> OfferingRow | None:
        found = self._documents.get(self._collection(), offering_id)
        return OfferingRow.of(found) if found is not None else None

    def of_npo(
        self, npo_id: str, statuses: Collection[OfferingStatus] | None = None
    ) -> list[OfferingRow]:
        """The NPO's offerings (in these statuses, if given), oldest first."""
        where: dict[str, Any] = {"npo_id": npo_id}
        if statuses is not None:
            where["status"] = {"$in": sorted(s.value for s in statuses)}
        found = self._documents.find(
            self._collection(), where, sort=[("created_at", 1), ("_id", 1)]
        )
        return [OfferingRow.of(d) for d in found]
