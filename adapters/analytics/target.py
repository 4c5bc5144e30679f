"""Where the export writes: a local directory or ``s3://bucket/prefix``.

The layout (ADR 017)::

    <root>/events/<family>/date=YYYY-MM-DD/<application>-<first position:012d>.parquet
    <root>/_state/<application>.json

A file is named by the first position of the chunk it came from, so writing a chunk
again (after a kill, or ``--since``) replaces its files instead of adding to them.
Local files are written under a temporary name and renamed; an S3 PUT replaces an
object whole.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from adapters.settings import Settings

EVENTS_DIR = "events"
STATE_DIR = "_state"
COMPRESSION = "zstd"
_FILE_NAME = re.compile(r"^(?P<application>[a-z0-9_]+)-(?P<first>\d{12})\.parquet$")


@dataclass(frozen=True)
class StoredFile:
    path: str
    family: str
    application: str
    first_position: int


class ExportTarget:
    """A root on a pyarrow file system, with the export's layout on it."""

    def __init__(self, filesystem: pafs.FileSystem, root: str, url: str) -> None:
        self.filesystem = filesystem
        self.root = root.rstrip("/")
        self.url = url
        self.is_local = isinstance(filesystem, pafs.LocalFileSystem)

    @classmethod
    def of(cls, target: str | Path, settings: Settings) -> ExportTarget:
        text = str(target)
        if text.startswith("s3://"):
            bucket_and_prefix = text[len("s3://") :].strip("/")
            if not bucket_and_prefix:
                raise ValueError("an S3 target names a bucket: s3://bucket/prefix")
            filesystem = s3_filesystem(settings)
            bucket = bucket_and_prefix.split("/", 1)[0]
            # Made when missing; if it is there already, or not ours to make,
            # writing will tell.
            with contextlib.suppress(OSError):
                filesystem.create_dir(bucket)
            return cls(filesystem, bucket_and_prefix, text)
        path = Path(text).resolve()
        path.mkdir(parents=True, exist_ok=True)
        return cls(pafs.LocalFileSystem(), str(path), str(path))

    # -- Paths ------------------------------------------------------------------------

    def data_path(self, family: str, date: str, application: str, first: int) -> str:
        return (
            f"{self.root}/{EVENTS_DIR}/{family}/date={date}/"
            f"{application}-{first:012d}.parquet"
        )

    def state_path(self, application: str) -> str:
        return f"{self.root}/{STATE_DIR}/{application}.json"

    # -- Data -------------------------------------------------------------------------

    def write_table(self, path: str, table: pa.Table) -> None:
        directory = path.rsplit("/", 1)[0]
        if self.is_local:
            self.filesystem.create_dir(directory, recursive=True)
            temporary = f"{directory}/.{uuid.uuid4().hex}.tmp"
            pq.write_table(
                table, temporary, filesystem=self.filesystem, compression=COMPRESSION
            )
            os.replace(temporary, path)
        else:
            pq.write_table(
                table, path, filesystem=self.filesystem, compression=COMPRESSION
            )

    def files(self, application: str | None = None) -> list[StoredFile]:
        """Every data file of the export (of one application)."""
        selector = pafs.FileSelector(
            f"{self.root}/{EVENTS_DIR}", recursive=True, allow_not_found=True
        )
        found = []
        for info in self.filesystem.get_file_info(selector):
            if info.type != pafs.FileType.File:
                continue
            match = _FILE_NAME.match(info.base_name)
            if match is None:
                continue
            if application is not None and match["application"] != application:
                continue
            relative = info.path[len(self.root) + len(EVENTS_DIR) + 2 :]
            found.append(
                StoredFile(
                    path=info.path,
                    family=relative.split("/", 1)[0],
                    application=match["application"],
                    first_position=int(match["first"]),
                )
            )
        return found

    def delete(self, path: str) -> None:
        self.filesystem.delete_file(path)

    # -- State ------------------------------------------------------------------------

    def read_state(self, application: str) -> dict[str, Any]:
        path = self.state_path(application)
        info = self.filesystem.get_file_info(path)
        if info.type != pafs.FileType.File:
            return {}
        with self.filesystem.open_input_stream(path) as stream:
            state: dict[str, Any] = json.loads(stream.read())
        return state

    def write_state(self, application: str, state: dict[str, Any]) -> None:
        path = self.state_path(application)
        body = json.dumps(state, indent=1, sort_keys=True).encode()
        directory = path.rsplit("/", 1)[0]
        if self.is_local:
            self.filesystem.create_dir(directory, recursive=True)
            temporary = f"{directory}/.{application}.{uuid.uuid4().hex}.tmp"
            with self.filesystem.open_output_stream(temporary) as stream:
                stream.write(body)
            os.replace(temporary, path)
        else:
            with self.filesystem.open_output_stream(path) as stream:
                stream.write(body)


def s3_filesystem(settings: Settings) -> pafs.S3FileSystem:
    """pyarrow's S3 client, at the configured endpoint (the S3 server) if any."""
    options: dict[str, Any] = {
        "access_key": settings.s3_access_key,
        "secret_key": settings.s3_secret_key,
        "region": settings.s3_region,
        "connect_timeout": settings.s3_connect_timeout_seconds,
        "request_timeout": max(settings.s3_read_timeout_seconds, 30.0),
        # A target bucket that does not exist yet is made (a new deployment).
        "allow_bucket_creation": True,
    }
    if settings.s3_endpoint:
        endpoint = settings.s3_endpoint
        scheme, _, rest = endpoint.partition("://")
        if rest:
            options["scheme"] = scheme
            endpoint = rest
        options["endpoint_override"] = endpoint.rstrip("/")
        options["force_virtual_addressing"] = False
    return pafs.S3FileSystem(**options)
