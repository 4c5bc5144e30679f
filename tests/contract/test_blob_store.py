"""One contract for the blob store port, run against the local disk and S3."""

from __future__ import annotations

import threading
import urllib.request
import uuid
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from adapters.embedded.blobs import LocalDiskBlobStore
from adapters.http.blobs import blob_router
from adapters.s3.blobs import S3BlobStore
from ports.blobs import BlobNotFoundError, BlobStore


class BlobStoreContract(ABC):
    @abstractmethod
    @pytest.fixture
    def store(self) -> BlobStore: ...

    def test_put_then_get_returns_the_same_bytes_and_type(
        self, store: BlobStore
    ) -> None:
        data = b"%PDF-1.4 hello"
        store.put("offerings/o1/guide.pdf", data, "application/pdf")

        assert store.get("offerings/o1/guide.pdf") == data
        info = store.head("offerings/o1/guide.pdf")
        assert info.size == len(data)
        assert info.content_type == "application/pdf"

    def test_put_overwrites(self, store: BlobStore) -> None:
        store.put("a.txt", b"one", "text/plain")
        store.put("a.txt", b"two", "text/plain")
        assert store.get("a.txt") == b"two"

    def test_missing_blob_is_reported(self, store: BlobStore) -> None:
        with pytest.raises(BlobNotFoundError):
            store.get("missing.txt")
        with pytest.raises(BlobNotFoundError):
            store.head("missing.txt")

    def test_list_is_sorted_and_filtered_by_prefix(self, store: BlobStore) -> None:
        for key in ["p/b.txt", "p/a.txt", "q/c.txt"]:
            store.put(key, b"x", "text/plain")
        assert store.list("p/") == ["p/a.txt", "p/b.txt"]
        assert store.list() == ["p/a.txt", "p/b.txt", "q/c.txt"]

    def test_delete_removes_and_is_idempotent(self, store: BlobStore) -> None:
        store.put("gone.txt", b"x", "text/plain")
        store.delete("gone.txt")
        store.delete("gone.txt")
        assert store.list() == []

    def test_presigned_urls_name_the_key(self, store: BlobStore) -> None:
        get_url = store.presigned_get_url("docs/cv.pdf", 60)
        put_url = store.presigned_put_url("docs/cv.pdf", "application/pdf", 60)
        assert "docs/cv.pdf" in get_url
        assert "docs/cv.pdf" in put_url
        assert get_url != put_url

    def test_ping_answers(self, store: BlobStore) -> None:
        store.ping()


class TestLocalDiskBlobStore(BlobStoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> BlobStore:
        return LocalDiskBlobStore(tmp_path, "http://testserver", "secret")

    def test_a_presigned_put_takes_only_the_declared_size(self, tmp_path: Path) -> None:
        store = LocalDiskBlobStore(tmp_path, "http://testserver", "secret")
        app = FastAPI()
        app.include_router(blob_router(store))
        client = TestClient(app)
        url = store.presigned_put_url("r/guide.pdf", "application/pdf", 60, 8)
        headers = {"content-type": "application/pdf"}

        too_big = client.put(url, content=b"%PDF-1.4 and more", headers=headers)
        forged = client.put(
            url.replace("length=8", "length=17"),
            content=b"%PDF-1.4 and more",
            headers=headers,
        )
        exact = client.put(url, content=b"%PDF-1.4", headers=headers)

        assert too_big.status_code == 403
        assert forged.status_code == 403
        assert exact.status_code == 200
        assert store.get("r/guide.pdf") == b"%PDF-1.4"

    def test_a_signed_put_writes_its_key_once(self, tmp_path: Path) -> None:
        store = LocalDiskBlobStore(tmp_path, "http://testserver", "secret")
        app = FastAPI()
        app.include_router(blob_router(store))
        client = TestClient(app)
        headers = {"content-type": "application/pdf"}
        url = store.presigned_put_url("up/a", "application/pdf", 60, 8)

        first = client.put(url, content=b"%PDF-1.4", headers=headers)
        again = client.put(url, content=b"MZ\x90\x00\x03\x00\x00\x00", headers=headers)

        # Check the second write through a URL is refused and changed nothing.
        assert (first.status_code, again.status_code) == (200, 409)
        assert store.get("up/a") == b"%PDF-1.4"
        # Check a deleted key stays spent, whether or not a URL wrote it.
        store.delete("up/a")
        never_written = store.presigned_put_url("up/b", "application/pdf", 60, 8)
        store.delete("up/b")
        for spent in (url, never_written):
            refused = client.put(spent, content=b"%PDF-1.4", headers=headers)
            assert refused.status_code == 409
        assert store.list() == []
        # Check the service itself still writes any key it means to.
        store.put("up/a", b"mine", "text/plain")
        assert store.list() == ["up/a"]

    def test_concurrent_signed_puts_to_one_key_write_once(self, tmp_path: Path) -> None:
        store = LocalDiskBlobStore(tmp_path, "http://testserver", "secret")
        barrier = threading.Barrier(8)

        def write(n: int) -> bool:
            barrier.wait()
            return store.put_signed("up/a", f"{n}".encode(), "text/plain")

        with ThreadPoolExecutor(8) as pool:
            written = list(pool.map(write, range(8)))

        assert written.count(True) == 1
        assert store.get("up/a") == str(written.index(True)).encode()

    def test_keys_cannot_escape_the_root(self, store: BlobStore) -> None:
        with pytest.raises(ValueError, match="invalid blob key"):
            store.put("../outside.txt", b"x", "text/plain")


class TestS3BlobStore(BlobStoreContract):
    def test_a_presigned_put_signs_the_declared_size(self, store: BlobStore) -> None:
        url = store.presigned_put_url("r/guide.pdf", "application/pdf", 60, 8)
        signed = parse_qs(urlsplit(url).query)["X-Amz-SignedHeaders"][0].split(";")
        assert "content-length" in signed
        request = urllib.request.Request(  # noqa: S310 - the loopback S3 server
            url,
            data=b"%PDF-1.4",
            method="PUT",
            headers={"content-type": "application/pdf"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            assert response.status == 200
        assert store.get("r/guide.pdf") == b"%PDF-1.4"

    def test_a_presigned_put_can_be_replayed_until_it_expires(
        self, store: BlobStore
    ) -> None:
        """Why an upload key is never read once its upload is consumed: S3 has no
        way to revoke a presigned URL, nor to refuse a write to a deleted key."""
        url = store.presigned_put_url("up/a", "application/pdf", 60, 8)

        def put(data: bytes) -> int:
            request = urllib.request.Request(  # noqa: S310 - the loopback S3 server
                url,
                data=data,
                method="PUT",
                headers={"content-type": "application/pdf"},
            )
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                status: int = response.status
                return status

        assert put(b"%PDF-1.4") == 200
        store.delete("up/a")
        assert put(b"MZ\x90\x00\x03\x00\x00\x00") == 200
        assert store.get("up/a").startswith(b"MZ")

    @pytest.fixture
    def store(self, s3_endpoint: str) -> BlobStore:
        store = S3BlobStore(
            s3_endpoint,
            f"contract-{uuid.uuid4().hex[:12]}",
            "us-east-1",
            "test",
            "test",
        )
        store.ensure_bucket()
        return store
