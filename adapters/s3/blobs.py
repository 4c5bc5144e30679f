"""Blob store on S3 (moto's server in development and tests).

Every call to the server goes through the ``s3`` circuit breaker: a server that
cannot be reached (a request is tried twice) leaves as ``BackendUnavailableError``
and the next calls fail at once while it is down. Presigning needs no server.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import boto3
import botocore.config
import botocore.exceptions

from adapters.resilience import CircuitBreaker
from ports.blobs import BlobInfo, BlobNotFoundError
from ports.errors import BackendUnavailableError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

DEFAULT_CONNECT_TIMEOUT_SECONDS = 1.0
DEFAULT_READ_TIMEOUT_SECONDS = 5.0
# A request is tried at most twice: once more on a pooled connection the server
# closed meanwhile, never long enough to outlast the bound on an outage.
ATTEMPTS = 2


def unreachable(error: BaseException) -> bool:
    """No connection, a connection closed or timed out (``EndpointConnectionError``,
    ``ConnectTimeoutError``, ``ReadTimeoutError``, ``ConnectionClosedError``...)."""
    return isinstance(
        error,
        botocore.exceptions.ConnectionError | botocore.exceptions.HTTPClientError,
    )


class S3BlobStore:
    def __init__(
        self,
        endpoint_url: str,
        bucket: str,
        region: str,
        access_key: str,
        secret_key: str,
        *,
        breaker: CircuitBreaker | None = None,
        connect_timeout_seconds: float = DEFAULT_CONNECT_TIMEOUT_SECONDS,
        read_timeout_seconds: float = DEFAULT_READ_TIMEOUT_SECONDS,
    ) -> None:
        self._bucket = bucket
        self._breaker = breaker or CircuitBreaker("s3")
        self._client: S3Client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=botocore.config.Config(
                signature_version="s3v4",
                connect_timeout=connect_timeout_seconds,
                read_timeout=read_timeout_seconds,
                retries={"mode": "standard", "total_max_attempts": ATTEMPTS},
                s3={"addressing_style": "path"},
            ),
        )

    @contextmanager
    def _calling(self) -> Iterator[None]:
        with self._breaker.call(unreachable):
            yield

    def ensure_bucket(self) -> None:
        with self._calling():
            try:
                self._client.head_bucket(Bucket=self._bucket)
            except botocore.exceptions.ClientError:
                self._client.create_bucket(Bucket=self._bucket)

    def ping(self) -> None:
        try:
            with self._calling():
                self._client.head_bucket(Bucket=self._bucket)
        except botocore.exceptions.ClientError as error:
            if _error_code(error) in {"404", "NoSuchBucket"}:
                return  # the server answers; the bucket is made on first use
            raise BackendUnavailableError(f"s3: {error}") from error
        except botocore.exceptions.BotoCoreError as error:
            raise BackendUnavailableError(f"s3: {error}") from error

    def put(self, key: str, data: bytes, content_type: str) -> None:
        with self._calling():
            self._client.put_object(
                Bucket=self._bucket, Key=key, Body=data, ContentType=content_type
            )

    def get(self, key: str) -> bytes:
        with self._calling():
            try:
                response = self._client.get_object(Bucket=self._bucket, Key=key)
            except botocore.exceptions.ClientError as error:
                if _error_code(error) in {"NoSuchKey", "404"}:
                    raise BlobNotFoundError(key) from error
                raise
            return response["Body"].read()

    def head(self, key: str) -> BlobInfo:
        with self._calling():
            try:
                response = self._client.head_object(Bucket=self._bucket, Key=key)
            except botocore.exceptions.ClientError as error:
                if _error_code(error) in {"NoSuchKey", "404"}:
                    raise BlobNotFoundError(key) from error
                raise
        return BlobInfo(
            key=key,
            size=int(response["ContentLength"]),
            content_type=str(response.get("ContentType", "application/octet-stream")),
        )

    def list(self, prefix: str = "") -> list[str]:
        keys: list[str] = []
        paginator = self._client.get_paginator("list_objects_v2")
        with self._calling():
            for page in paginator.paginate(Bucket=self._bucket, Prefix=prefix):
                keys.extend(item["Key"] for item in page.get("Contents", []))
        return sorted(keys)

    def delete(self, key: str) -> None:
        with self._calling():
            self._client.delete_object(Bucket=self._bucket, Key=key)

    def presigned_get_url(self, key: str, expires_in_seconds: int) -> str:
        return self._client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self._bucket, "Key": key},
            ExpiresIn=expires_in_seconds,
        )

    def presigned_put_url(
        self,
        key: str,
        content_type: str,
        expires_in_seconds: int,
        content_length: int | None = None,
    ) -> str:
        params: dict[str, Any] = {
            "Bucket": self._bucket,
            "Key": key,
            "ContentType": content_type,
        }
        if content_length is not None:
            params["ContentLength"] = content_length  # signed: S3 refuses others
        return self._client.generate_presigned_url(
            "put_object", Params=params, ExpiresIn=expires_in_seconds
        )


def _error_code(error: botocore.exceptions.ClientError) -> str:
    response: Any = error.response
    return str(response.get("Error", {}).get("Code", ""))
