"""Serves the embedded blob store's signed URLs (only when S3 is not configured)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response

from adapters.embedded.blobs import LocalDiskBlobStore
from ports.blobs import BlobNotFoundError

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def blob_router(store: LocalDiskBlobStore) -> APIRouter:
    router = APIRouter(prefix="/blobs", tags=["blobs"], include_in_schema=False)

    @router.get("/{key:path}")
    def download(key: str, expires: int, signature: str) -> Response:
        if not store.verify("GET", key, expires, "", signature):
            raise HTTPException(403, "The link is invalid or has expired.")
        try:
            info = store.head(key)
            return Response(store.get(key), media_type=info.content_type)
        except BlobNotFoundError:
            raise HTTPException(404, "No such file.") from None

    @router.put("/{key:path}", status_code=200)
    async def upload(
        key: str,
        expires: int,
        signature: str,
        request: Request,
        length: int | None = None,
    ) -> Response:
        content_type = request.headers.get("content-type", "")
        if not store.verify(
            "PUT", key, expires, content_type, signature, content_length=length
        ):
            raise HTTPException(403, "The link is invalid or has expired.")
        body = await request.body()
        if len(body) > MAX_UPLOAD_BYTES:
            raise HTTPException(413, "The file is larger than the limit.")
        if length is not None and len(body) != length:
            # As S3 does for a signed Content-Length: only the declared size.
            raise HTTPException(403, "The file's size is not the size declared.")
        if not store.put_signed(key, body, content_type):
            # The key was written or deleted since: its upload is spent.
            raise HTTPException(409, "The link was used already; start a new upload.")
        return Response(status_code=200)

    return router
