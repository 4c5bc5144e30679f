"""Document store on MongoDB (FerretDB speaks its wire protocol)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pymongo
import pymongo.errors
from pymongo import MongoClient

from ports.documents import DuplicateKeyError, JSONDocument, SortSpec
from ports.errors import BackendUnavailableError


class MongoDocumentStore:
    def __init__(self, url: str, database: str, timeout_ms: int = 3000) -> None:
        self._client: MongoClient[JSONDocument] = MongoClient(
            url,
            serverSelectionTimeoutMS=timeout_ms,
            connectTimeoutMS=timeout_ms,
            # A server that stops answering becomes an error the caller can retry,
            # never a thread blocked for ever.
            socketTimeoutMS=30_000,
            uuidRepresentation="standard",
        )
        self._db = self._client[database]

    def close(self) -> None:
        self._client.close()

    def ping(self) -> None:
        try:
            self._db.command("ping")
        except pymongo.errors.PyMongoError as error:
            raise BackendUnavailableError(f"mongodb: {error}") from error

    def insert(self, collection: str, document: JSONDocument) -> None:
        try:
            self._db[collection].insert_one(dict(document))
        except pymongo.errors.DuplicateKeyError as error:
            raise DuplicateKeyError(str(error)) from error

    def upsert(self, collection: str, document_id: str, document: JSONDocument) -> None:
        body = {k: v for k, v in document.items() if k != "_id"}
        try:
            self._db[collection].replace_one({"_id": document_id}, body, upsert=True)
        except pymongo.errors.DuplicateKeyError as error:
            raise DuplicateKeyError(str(error)) from error

    def upsert_if_newer(
        self, collection: str, document_id: str, version: int, document: JSONDocument
    ) -> bool:
        body = {k: v for k, v in document.items() if k != "_id"}
        body["_version"] = version
        coll = self._db[collection]
        # Replace only an older version. If none matches, either the document is
        # absent (insert it) or it is already at this version or newer (ignore).
        result = coll.replace_one(
            {"_id": document_id, "_version": {"$lt": version}}, body
        )
        if result.matched_count:
            return True
        try:
            coll.insert_one({"_id": document_id, **body})
        except pymongo.errors.DuplicateKeyError:
            # Either a newer version exists (ignore) or a concurrent writer inserted
            # first; in the latter case retry the guarded replace once.
            again = coll.replace_one(
                {"_id": document_id, "_version": {"$lt": version}}, body
            )
            return again.matched_count > 0
        return True

    def get(self, collection: str, document_id: str) -> JSONDocument | None:
        return self._db[collection].find_one({"_id": document_id})

    def find(
        self,
        collection: str,
        filter: Mapping[str, Any] | None = None,
        *,
        sort: SortSpec = (),
        limit: int = 0,
    ) -> list[JSONDocument]:
        cursor = self._db[collection].find(dict(filter or {}))
        if sort:
            cursor = cursor.sort(
                [
                    (name, pymongo.ASCENDING if d >= 0 else pymongo.DESCENDING)
                    for name, d in sort
                ]
            )
        if limit:
            cursor = cursor.limit(limit)
        return list(cursor)

    def delete(self, collection: str, document_id: str) -> bool:
        return self._db[collection].delete_one({"_id": document_id}).deleted_count > 0

    def ensure_unique_index(self, collection: str, field_name: str) -> None:
        self._db[collection].create_index(
            [(field_name, pymongo.ASCENDING)], unique=True
        )

    def drop(self, collection: str) -> None:
        self._db.drop_collection(collection)
