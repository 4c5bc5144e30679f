"""Blob store on the local disk, with HMAC-signed URLs served by the API itself.

A signed PUT URL writes its key once (``put_signed``): a key a URL has written, or
that was deleted, is *spent* (a ``.spent`` mark beside it) and refuses every later
URL write, so an upload's key takes bytes only while its resource awaits them. S3
cannot refuse a presigned URL's write; the service does not depend on this (what a
URL writes after the upload is consumed is never read), it only keeps the disk
clean and makes the refusal visible.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlencode

from ports.blobs import BlobInfo, BlobNotFoundError


class LocalDiskBlobStore:
    def __init__(self, root: Path, public_base_url: str, signing_secret: str) -> None:
        self._root = root
        self._base_url = public_base_url.rstrip("/")
        self._secret = signing_secret.encode()
        self._lock = threading.Lock()

    def ping(self) -> None:
        self._root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"invalid blob key: {key!r}")
        return self._root / key

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            # Write beside, then rename: a reader never sees half a blob.
            tmp = path.with_name(path.name + ".partial")
            tmp.write_bytes(data)
            tmp.replace(path)
            path.with_name(path.name + ".meta").write_text(
                json.dumps({"content_type": content_type})
            )

    def put_signed(self, key: str, data: bytes, content_type: str) -> bool:
        """Write through a signed URL: ``False`` (nothing written) when the key is
        spent. ``put`` is not limited: the service writes any key it means to."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        spent = _spent(path)
        try:
            spent.touch(exist_ok=False)  # O_EXCL: one writer wins, across processes
        except FileExistsError:
            return False
        try:
            self.put(key, data, content_type)
        except BaseException:
            spent.unlink(missing_ok=True)  # nothing was written: the URL may retry
            raise
        return True

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise BlobNotFoundError(key) from None

    def head(self, key: str) -> BlobInfo:
        path = self._path(key)
        try:
            size = path.stat().st_size
            meta = json.loads(path.with_name(path.name + ".meta").read_text())
        except FileNotFoundError:
            raise BlobNotFoundError(key) from None
        return BlobInfo(key=key, size=size, content_type=str(meta["content_type"]))

    def list(self, prefix: str = "") -> list[str]:
        if not self._root.exists():
            return []
        keys = (
            p.relative_to(self._root).as_posix()
            for p in self._root.rglob("*")
            if p.is_file() and not p.name.endswith((".meta", ".partial", ".spent"))
        )
        return sorted(k for k in keys if k.startswith(prefix))

    def delete(self, key: str) -> None:
        """Delete the blob; its key is spent (no signed URL writes it again)."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        _spent(path).touch()
        path.unlink(missing_ok=True)
        path.with_name(path.name + ".meta").unlink(missing_ok=True)

    def presigned_get_url(self, key: str, expires_in_seconds: int) -> str:
        return self._signed_url("GET", key, expires_in_seconds, "", None)

    def presigned_put_url(
        self,
        key: str,
        content_type: str,
        expires_in_seconds: int,
        content_length: int | None = None,
    ) -> str:
        return self._signed_url(
            "PUT", key, expires_in_seconds, content_type, content_length
        )

    def _signed_url(
        self,
        method: str,
        key: str,
        expires_in_seconds: int,
        content_type: str,
        content_length: int | None,
    ) -> str:
        self._path(key)
        expires = int(time.time()) + expires_in_seconds
        signature = self.signature(method, key, expires, content_type, content_length)
        query: dict[str, str | int] = {"expires": expires}
        if content_length is not None:
            query["length"] = content_length
        query["signature"] = signature
        return f"{self._base_url}/blobs/{quote(key)}?{urlencode(query)}"

    def signature(
        self,
        method: str,
        key: str,
        expires: int,
        content_type: str,
        content_length: int | None = None,
    ) -> str:
        length = "" if content_length is None else str(content_length)
        message = f"{method}\n{key}\n{expires}\n{content_type}\n{length}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def verify(
        self,
        method: str,
        key: str,
        expires: int,
        content_type: str,
        signature: str,
        *,
        content_length: int | None = None,
    ) -> bool:
        expected = self.signature(method, key, expires, content_type, content_length)
        return hmac.compare_digest(expected, signature) and expires >= time.time()


def _spent(path: Path) -> Path:
    return path.with_name(path.name + ".spent")
