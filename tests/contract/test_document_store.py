"""One contract for the document store port, run in memory and on FerretDB."""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator

import pytest

from adapters.embedded.documents import InMemoryDocumentStore
from adapters.mongo.documents import MongoDocumentStore
from ports.documents import DocumentStore, DuplicateKeyError


class DocumentStoreContract(ABC):
    @abstractmethod
    @pytest.fixture
    def store(self) -> DocumentStore: ...

    @pytest.fixture
    def collection(self) -> str:
        return f"contract_{uuid.uuid4().hex[:12]}"

    def test_insert_then_get(self, store: DocumentStore, collection: str) -> None:
        store.insert(collection, {"_id": "o1", "title": "Resume clinic", "n": 1})
        assert store.get(collection, "o1") == {
            "_id": "o1",
            "title": "Resume clinic",
            "n": 1,
        }
        assert store.get(collection, "absent") is None

    def test_insert_of_an_existing_id_is_refused(
        self, store: DocumentStore, collection: str
    ) -> None:
        store.insert(collection, {"_id": "o1"})
        with pytest.raises(DuplicateKeyError):
            store.insert(collection, {"_id": "o1"})

    def test_unique_index_refuses_a_second_value(
        self, store: DocumentStore, collection: str
    ) -> None:
        store.ensure_unique_index(collection, "slug")
        store.insert(collection, {"_id": "a", "slug": "resume"})
        with pytest.raises(DuplicateKeyError):
            store.insert(collection, {"_id": "b", "slug": "resume"})
        assert store.find(collection) == [{"_id": "a", "slug": "resume"}]

    def test_upsert_creates_then_replaces(
        self, store: DocumentStore, collection: str
    ) -> None:
        store.upsert(collection, "o1", {"title": "v1", "old": True})
        store.upsert(collection, "o1", {"title": "v2"})
        assert store.get(collection, "o1") == {"_id": "o1", "title": "v2"}

    def test_find_filters_sorts_and_limits(
        self, store: DocumentStore, collection: str
    ) -> None:
        for i, region in enumerate(["north", "south", "north", "north"]):
            store.insert(
                collection,
                {"_id": f"o{i}", "region": region, "rank": 10 - i, "tags": ["a"]},
            )
        found = store.find(collection, {"region": "north"}, sort=[("rank", 1)], limit=2)
        assert [d["_id"] for d in found] == ["o3", "o2"]
        assert [d["_id"] for d in store.find(collection, {"region": "east"})] == []
        by_tag = store.find(collection, {"tags": "a"}, sort=[("_id", -1)])
        assert [d["_id"] for d in by_tag] == ["o3", "o2", "o1", "o0"]
        in_list = store.find(
            collection, {"_id": {"$in": ["o1", "o2"]}}, sort=[("_id", 1)]
        )
        assert [d["_id"] for d in in_list] == ["o1", "o2"]

    def test_upsert_if_newer_ignores_old_and_repeated_versions(
        self, store: DocumentStore, collection: str
    ) -> None:
        assert store.upsert_if_newer(collection, "o1", 2, {"title": "v2"}) is True
        assert store.upsert_if_newer(collection, "o1", 2, {"title": "again"}) is False
        assert store.upsert_if_newer(collection, "o1", 1, {"title": "v1"}) is False
        assert store.get(collection, "o1") == {
            "_id": "o1",
            "title": "v2",
            "_version": 2,
        }
        assert store.upsert_if_newer(collection, "o1", 3, {"title": "v3"}) is True
        stored = store.get(collection, "o1")
        assert stored is not None
        assert stored["title"] == "v3"

    def test_delete_and_drop(self, store: DocumentStore, collection: str) -> None:
        store.insert(collection, {"_id": "o1"})
        store.insert(collection, {"_id": "o2"})
        assert store.delete(collection, "o1") is True
        assert store.delete(collection, "o1") is False
        store.drop(collection)
        assert store.find(collection) == []


class TestInMemoryDocumentStore(DocumentStoreContract):
    @pytest.fixture
    def store(self) -> DocumentStore:
        return InMemoryDocumentStore()


class TestMongoDocumentStore(DocumentStoreContract):
    @pytest.fixture
    def store(self, mongo_url: str) -> Iterator[DocumentStore]:
        store = MongoDocumentStore(mongo_url, "spotlight_contract")
        yield store
        store.close()
