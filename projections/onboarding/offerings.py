"""Offering documents in MongoDB (the design's document database for offerings).

One document per offering, ``_id`` the offering id, holding its whole content, its
resources, its status and ``version`` (the aggregate's version, which an edit must
name). FerretDB has no transactions, so each write is guarded by the version
(``DocumentStore.upsert_if_newer``): a batch applied again after a crash finds the
document at that version or newer and changes nothing.

Within a batch, an offering's events are folded into one write.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, ClassVar

from domain.onboarding.offering_content import OfferingContent
from ports.documents import JSONDocument
from ports.relational import SqlSession
from projections.contracts import ProjectedEvent, Projection

OFFERINGS_PROJECTION = "onboarding_offerings"
OFFERINGS_COLLECTION = "offerings"


def _f(item: ProjectedEvent, name: str) -> Any:
    return getattr(item.event, name)


def _when(item: ProjectedEvent) -> str:
    timestamp = getattr(item.event, "timestamp", None)
    if isinstance(timestamp, datetime):
        return timestamp.isoformat(timespec="microseconds")
    return ""


def _resource(doc: JSONDocument, resource_id: str) -> dict[str, Any]:
    for resource in doc.get("resources", []):
        if resource["id"] == resource_id:
            found: dict[str, Any] = resource
            return found
    return {}  # not there: the change has nothing to apply to


def _created(doc: JSONDocument, item: ProjectedEvent) -> None:
    when = _when(item)
    doc.clear()
    doc.update(OfferingContent.from_state(_f(item, "content")).to_state())
    doc.update(
        npo_id=_f(item, "npo_id"),
        status="ACTIVE",
        status_reason=None,
        resources=[],
        created_at=when,
        created_by=getattr(item.event, "actor_id", None),
    )


def _updated(doc: JSONDocument, item: ProjectedEvent) -> None:
    doc.update(OfferingContent.from_state(_f(item, "content")).to_state())


def _upload_started(doc: JSONDocument, item: ProjectedEvent) -> None:
    doc.setdefault("resources", []).append(
        {
            "id": _f(item, "resource_id"),
            "filename": _f(item, "filename"),
            "content_type": _f(item, "content_type"),
            "declared_size": _f(item, "declared_size"),
            "key": _f(item, "key"),
            "state": "AWAITING_UPLOAD",
            "size": None,
            "sha256": None,
            "reason": None,
            "added_at": _when(item),
        }
    )


def _attached(doc: JSONDocument, item: ProjectedEvent) -> None:
    _resource(doc, _f(item, "resource_id")).update(
        state="READY",
        content_type=_f(item, "content_type"),
        size=_f(item, "size"),
        sha256=_f(item, "sha256"),
    )


def _rejected(doc: JSONDocument, item: ProjectedEvent) -> None:
    _resource(doc, _f(item, "resource_id")).update(
        state="REJECTED", reason=_f(item, "reason")
    )


def _removed(doc: JSONDocument, item: ProjectedEvent) -> None:
    resource_id = _f(item, "resource_id")
    doc["resources"] = [r for r in doc.get("resources", []) if r["id"] != resource_id]


def _taken_down(doc: JSONDocument, item: ProjectedEvent) -> None:
    doc.update(status="TAKEN_DOWN", status_reason=_f(item, "reason"))


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
                doc.update(version=item.originator_version, updated_at=_when(item))
                last = item.originator_version
            if last:
                documents.upsert_if_newer(self.collection, offering_id, last, doc)
