"""Document store in process memory, with the same semantics as the MongoDB adapter."""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from typing import Any

from ports.documents import DuplicateKeyError, JSONDocument, SortSpec


def matches(document: Mapping[str, Any], filter: Mapping[str, Any]) -> bool:
    for field_name, expected in filter.items():
        actual = document.get(field_name)
        if isinstance(expected, Mapping) and "$in" in expected:
            options = expected["$in"]
            if isinstance(actual, list):
                if not any(a in options for a in actual):
                    return False
            elif actual not in options:
                return False
        elif isinstance(actual, list) and not isinstance(expected, list):
            if expected not in actual:
                return False
        elif actual != expected:
            return False
    return True


def _sort_key(value: Any) -> tuple[int, Any]:
    # MongoDB orders missing/None before numbers before strings; keep that order.
    if value is None:
        return (0, 0)
    if isinstance(value, int | float):
        return (1, value)
    return (2, str(value))


class InMemoryDocumentStore:
    def __init__(self) -> None:
        self._collections: dict[str, dict[str, JSONDocument]] = {}
        self._unique: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def ping(self) -> None:
        return None

    def _collection(self, name: str) -> dict[str, JSONDocument]:
        return self._collections.setdefault(name, {})

    def _check_unique(self, collection: str, document: JSONDocument) -> None:
        for field_name in self._unique.get(collection, ()):
            value = document.get(field_name)
            for other in self._collection(collection).values():
                if other["_id"] != document["_id"] and other.get(field_name) == value:
                    raise DuplicateKeyError(f"{collection}.{field_name}={value!r}")

    def insert(self, collection: str, document: JSONDocument) -> None:
        with self._lock:
            docs = self._collection(collection)
            if document["_id"] in docs:
                raise DuplicateKeyError(f"{collection}._id={document['_id']!r}")
            self._check_unique(collection, document)
            docs[document["_id"]] = copy.deepcopy(document)

    def upsert(self, collection: str, document_id: str, document: JSONDocument) -> None:
        with self._lock:
            stored = {**copy.deepcopy(document), "_id": document_id}
            self._check_unique(collection, stored)
            self._collection(collection)[document_id] = stored

    def upsert_if_newer(
        self, collection: str, document_id: str, version: int, document: JSONDocument
    ) -> bool:
        with self._lock:
            docs = self._collection(collection)
            current = docs.get(document_id)
            if current is not None and current.get("_version", -1) >= version:
                return False
            stored = {
                **copy.deepcopy(document),
                "_id": document_id,
                "_version": version,
            }
            self._check_unique(collection, stored)
            docs[document_id] = stored
            return True

    def get(self, collection: str, document_id: str) -> JSONDocument | None:
        with self._lock:
            found = self._collection(collection).get(document_id)
            return copy.deepcopy(found) if found is not None else None

    def find(
        self,
        collection: str,
        filter: Mapping[str, Any] | None = None,
        *,
        sort: SortSpec = (),
        limit: int = 0,
    ) -> list[JSONDocument]:
        with self._lock:
            found = [
                copy.deepcopy(d)
                for d in self._collection(collection).values()
                if matches(d, filter or {})
            ]
        for field_name, direction in reversed(list(sort)):
            found.sort(
                key=lambda d: _sort_key(d.get(field_name)), reverse=direction < 0
            )
        return found[:limit] if limit else found

    def delete(self, collection: str, document_id: str) -> bool:
        with self._lock:
            return self._collection(collection).pop(document_id, None) is not None

    def ensure_unique_index(self, collection: str, field_name: str) -> None:
        with self._lock:
            self._unique.setdefault(collection, set()).add(field_name)

    def drop(self, collection: str) -> None:
        with self._lock:
            self._collections.pop(collection, None)
            self._unique.pop(collection, None)
