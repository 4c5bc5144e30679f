"""Document store on MongoDB (FerretDB speaks its wire protocol).

Every call goes through the ``mongodb`` circuit breaker: a server that cannot be
reached (after pymongo's own retry of a read or write) leaves as
``BackendUnavailableError`` and the next calls fail at once while it is down.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pymongo
import pymongo.errors
from pymongo import MongoClient

from adapters.resilience import CircuitBreaker
from ports.documents import DuplicateKeyError, JSONDocument, SortSpec
from ports.errors import BackendUnavailableError

DEFAULT_TIMEOUT_SECONDS = 2.0

# Server errors that say it cannot serve now: shutting down, stepping down, its
# network (MongoDB's codes; pymongo makes most of them an ``AutoReconnect``).
_UNAVAILABLE_CODES = frozenset(
    {6, 7, 89, 91, 189, 9001, 10107, 11600, 11602, 13435, 13436}
)
# FerretDB answers InternalError (1) when its PostgreSQL cannot be reached.
_INTERNAL_ERROR = 1
_BACKEND_UNREACHABLE = re.compile(
    r"failed to connect|dial error|connection refused|conn closed|unexpected EOF"
    r"|SQLSTATE (08|57P0)",
    re.IGNORECASE,
)


def unreachable(error: BaseException) -> bool:
    """Whether ``error`` says the document server (or FerretDB's own database) is
    out of reach, rather than refusing this one operation."""
    if isinstance(error, pymongo.errors.ConnectionFailure):
        return True  # AutoReconnect, NetworkTimeout, ServerSelectionTimeoutError…
    if isinstance(error, pymongo.errors.OperationFailure):
        if error.code in _UNAVAILABLE_CODES:
            return True
        if error.code == _INTERNAL_ERROR:
            details = error.details or {}
            return bool(_BACKEND_UNREACHABLE.search(str(details.get("errmsg", ""))))
    return False


class MongoDocumentStore:
    def __init__(
        self,
        url: str,
        database: str,
        timeout_ms: int | None = None,
        *,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        timeout_ms = timeout_ms or int(DEFAULT_TIMEOUT_SECONDS * 1000)
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
        self._breaker = breaker or CircuitBreaker("mongodb")

    def close(self) -> None:
        self._client.close()

    def ping(self) -> None:
        try:
            with self._breaker.call(unreachable):
                self._db.command("ping")
        except pymongo.errors.PyMongoError as error:
            raise BackendUnavailableError(f"mongodb: {error}") from error

    def insert(self, collection: str, document: JSONDocument) -> None:
        with self._breaker.call(unreachable):
            try:
                self._db[collection].insert_one(dict(document))
            except pymongo.errors.DuplicateKeyError as error:
                raise DuplicateKeyError(str(error)) from error

    def upsert(self, collection: str, document_id: str, document: JSONDocument) -> None:
        body = {k: v for k, v in document.items() if k != "_id"}
        with self._breaker.call(unreachable):
            try:
                self._db[collection].replace_one(
                    {"_id": document_id}, body, upsert=True
                )
            except pymongo.errors.DuplicateKeyError as error:
                raise DuplicateKeyError(str(error)) from error

    def upsert_if_newer(
        self, collection: str, document_id: str, version: int, document: JSONDocument
    ) -> bool:
        body = {k: v for k, v in document.items() if k != "_id"}
        body["_version"] = version
        coll = self._db[collection]
        with self._breaker.call(unreachable):
            # Replace only an older version. If none matches, either the document
            # is absent (insert it) or it is already at this version or newer.
            result = coll.replace_one(
                {"_id": document_id, "_version": {"$lt": version}}, body
            )
            if result.matched_count:
                return True
            try:
                coll.insert_one({"_id": document_id, **body})
            except pymongo.errors.DuplicateKeyError:
                # Either a newer version exists (ignore) or a concurrent writer
                # inserted first; in the latter case retry the guarded replace once.
                again = coll.replace_one(
                    {"_id": document_id, "_version": {"$lt": version}}, body
                )
                return again.matched_count > 0
            return True

    def get(self, collection: str, document_id: str) -> JSONDocument | None:
        with self._breaker.call(unreachable):
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
        with self._breaker.call(unreachable):
            return list(cursor)

    def delete(self, collection: str, document_id: str) -> bool:
        with self._breaker.call(unreachable):
            deleted = self._db[collection].delete_one({"_id": document_id})
            return deleted.deleted_count > 0

    def ensure_unique_index(self, collection: str, field_name: str) -> None:
        with self._breaker.call(unreachable):
            self._db[collection].create_index(
                [(field_name, pymongo.ASCENDING)], unique=True
            )

    def drop(self, collection: str) -> None:
        with self._breaker.call(unreachable):
            self._db.drop_collection(collection)
