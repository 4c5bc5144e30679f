"""Uploads are one-time, over HTTP on the composed app: one scenario suite, run on
the embedded blob store (its signed URLs served by the API) and on S3 (moto).

Each test replays a request sequence that once brought other bytes back: a PUT to
an upload URL after the file was attached, refused, or removed. Whatever the store
answers that PUT (the embedded store refuses it; S3 cannot revoke a presigned URL),
nothing it wrote is ever attached or downloaded.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import pytest

from commands.onboarding.application import OnboardingApplication
from domain.onboarding.offering import Offering
from domain.onboarding.resource import legacy_key
from tests.support.identity import SignedIn
from tests.support.onboarding import PDF_BYTES, PNG_BYTES
from tests.support.onboarding_http import OnboardingClient


def executable(size: int) -> bytes:
    """A Windows executable's opening bytes, ``size`` long (an upload URL signs the
    size)."""
    head = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    return (head + b"\x00" * size)[:size]


def a_pdf(size: int) -> bytes:
    """A file that passes for a PDF, ``size`` long."""
    return (b"%PDF-1.4\n%%EOF\n" + b" " * size)[:size]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Fetched:
    status: int
    content: bytes
    content_type: str


class UploadsWorld(ABC):
    """The composed app, signed-in users, and plain HTTP to the store's URLs."""

    def __init__(self, onboarding: OnboardingClient) -> None:
        self.onboarding = onboarding
        self.client = onboarding.client

    @abstractmethod
    def put(self, url: str, data: bytes, headers: dict[str, str]) -> int:
        """PUT to a presigned URL, as a browser would; the status."""

    @abstractmethod
    def fetch(self, url: str) -> Fetched:
        """GET a presigned URL, as a browser would."""

    # -- the NPO's side ---------------------------------------------------------------

    def offering(self) -> tuple[SignedIn, str]:
        owner = self.onboarding.user("NPO")
        npo_id = self.onboarding.npo(owner)
        return owner, self.onboarding.offering(owner, npo_id)

    def ticket(
        self, owner: SignedIn, offering_id: str, filename: str, size: int
    ) -> dict[str, Any]:
        response = self.client.post(
            f"/offerings/{offering_id}/resources",
            json={
                "filename": filename,
                "content_type": "application/pdf",
                "size": size,
            },
            headers=owner.headers,
        )
        assert response.status_code == 201, response.text
        ticket: dict[str, Any] = response.json()
        return ticket

    def attach(self, owner: SignedIn, offering_id: str, resource_id: str) -> Any:
        return self.client.post(
            f"/offerings/{offering_id}/resources/{resource_id}/attach",
            headers=owner.headers,
        )

    def resources(self, owner: SignedIn, offering_id: str) -> dict[str, Any]:
        """The offering's resources by id, as its owner reads them now."""
        body = self.onboarding.ok(
            self.client.get(
                f"/offerings/{offering_id}",
                params={"after": self.head()},
                headers=owner.headers,
            )
        )
        return {r["id"]: r for r in body["resources"]}

    def download(self, owner: SignedIn, offering_id: str, resource_id: str) -> Any:
        return self.client.get(
            f"/offerings/{offering_id}/resources/{resource_id}/download",
            params={"after": self.head()},
            headers=owner.headers,
        )

    def uploads(self) -> list[str]:
        """The keys under the upload prefix, where upload URLs write."""
        return self.onboarding.container.blobs.list("uploads/")

    def head(self) -> str:
        app = self.onboarding.container.application(OnboardingApplication)
        return f"onboarding:{app.recorder.max_notification_id() or 0}"


class OneTimeUploads(ABC):
    """The scenarios; a subclass composes the app on one blob store."""

    # What the store answers a PUT to an upload URL whose upload is spent: the
    # embedded store refuses it; S3 cannot revoke a presigned URL and takes it.
    spent_put_status: int

    @abstractmethod
    @pytest.fixture
    def world(self) -> UploadsWorld: ...

    def test_bytes_put_after_attaching_never_replace_the_attached_file(
        self, world: UploadsWorld
    ) -> None:
        owner, offering_id = world.offering()
        ticket = world.ticket(owner, offering_id, "guide.pdf", len(PDF_BYTES))
        rid = ticket["resource_id"]
        assert world.put(ticket["upload_url"], PDF_BYTES, ticket["headers"]) == 200
        assert world.attach(owner, offering_id, rid).status_code == 200
        link = world.onboarding.ok(world.download(owner, offering_id, rid))
        # Check the upload was consumed: its bytes now live under an accepted key.
        assert world.uploads() == []

        # The same URL again, with a Windows executable of the same size.
        again = world.put(
            ticket["upload_url"], executable(len(PDF_BYTES)), {**ticket["headers"]}
        )
        assert again == self.spent_put_status
        # Check attaching again changes nothing.
        assert world.attach(owner, offering_id, rid).status_code == 200

        # Check the file is still the PDF, as recorded, by a new link and the old.
        resource = world.resources(owner, offering_id)[rid]
        assert (resource["state"], resource["sha256"], resource["size"]) == (
            "READY",
            sha256(PDF_BYTES),
            len(PDF_BYTES),
        )
        fresh = world.onboarding.ok(world.download(owner, offering_id, rid))
        for url in (fresh["url"], link["url"]):
            served = world.fetch(url)
            assert served.status == 200
            assert sha256(served.content) == resource["sha256"]
            assert served.content == PDF_BYTES
            assert served.content_type.startswith("application/pdf")

    def test_a_refused_upload_never_comes_back(self, world: UploadsWorld) -> None:
        owner, offering_id = world.offering()
        ticket = world.ticket(owner, offering_id, "x.pdf", len(PNG_BYTES))
        rid = ticket["resource_id"]
        assert world.put(ticket["upload_url"], PNG_BYTES, ticket["headers"]) == 200
        refused = world.attach(owner, offering_id, rid)
        assert refused.status_code == 415, refused.text
        assert world.uploads() == []  # the refused bytes are deleted

        # The same URL again, now with bytes that would pass for a PDF.
        again = world.put(
            ticket["upload_url"], a_pdf(len(PNG_BYTES)), ticket["headers"]
        )
        assert again == self.spent_put_status

        # Check it stays refused: not attachable, not downloadable.
        assert world.attach(owner, offering_id, rid).status_code == 409
        resource = world.resources(owner, offering_id)[rid]
        assert (resource["state"], resource["sha256"]) == ("REJECTED", None)
        assert world.download(owner, offering_id, rid).status_code == 404

    def test_a_removed_file_never_comes_back(self, world: UploadsWorld) -> None:
        owner, offering_id = world.offering()
        ticket = world.ticket(owner, offering_id, "guide.pdf", len(PDF_BYTES))
        rid = ticket["resource_id"]
        assert world.put(ticket["upload_url"], PDF_BYTES, ticket["headers"]) == 200
        assert world.attach(owner, offering_id, rid).status_code == 200
        link = world.onboarding.ok(world.download(owner, offering_id, rid))
        removed = world.client.delete(
            f"/offerings/{offering_id}/resources/{rid}", headers=owner.headers
        )
        assert removed.status_code == 200, removed.text

        # The same URL again, with the same PDF.
        assert (
            world.put(ticket["upload_url"], PDF_BYTES, ticket["headers"])
            == self.spent_put_status
        )

        # Check nothing comes back: not listed, attachable or downloadable, and the
        # link handed out before the removal serves nothing.
        assert rid not in world.resources(owner, offering_id)
        assert world.attach(owner, offering_id, rid).status_code == 404
        assert world.download(owner, offering_id, rid).status_code == 404
        assert world.fetch(link["url"]).status == 404

    def test_an_upload_removed_before_attaching_never_comes_back(
        self, world: UploadsWorld
    ) -> None:
        owner, offering_id = world.offering()
        ticket = world.ticket(owner, offering_id, "guide.pdf", len(PDF_BYTES))
        rid = ticket["resource_id"]
        assert world.put(ticket["upload_url"], PDF_BYTES, ticket["headers"]) == 200
        removed = world.client.delete(
            f"/offerings/{offering_id}/resources/{rid}", headers=owner.headers
        )
        assert removed.status_code == 200, removed.text

        assert (
            world.put(ticket["upload_url"], PDF_BYTES, ticket["headers"])
            == self.spent_put_status
        )

        assert rid not in world.resources(owner, offering_id)
        assert world.attach(owner, offering_id, rid).status_code == 404
        assert world.download(owner, offering_id, rid).status_code == 404

    def test_a_file_attached_under_the_old_layout_still_downloads_while_intact(
        self, world: UploadsWorld
    ) -> None:
        owner, offering_id = world.offering()
        # As code before accepted keys recorded it: uploaded and attached under one
        # key, the key upload URLs were signed for.
        rid = uuid4().hex
        key = legacy_key(offering_id, rid)
        app = world.onboarding.container.application(OnboardingApplication)
        offering: object = app.repository.get(UUID(offering_id))
        assert isinstance(offering, Offering)
        offering._start_upload(
            resource_id=rid,
            filename="guide.pdf",
            content_type="application/pdf",
            declared_size=len(PDF_BYTES),
            key=key,
        )
        offering._attach_resource(
            resource_id=rid,
            content_type="application/pdf",
            size=len(PDF_BYTES),
            sha256=sha256(PDF_BYTES),
            key=key,
        )
        app.save(offering)
        blobs = world.onboarding.container.blobs
        blobs.put(key, PDF_BYTES, "application/pdf")

        # Check it downloads, the bytes recorded.
        link = world.onboarding.ok(world.download(owner, offering_id, rid))
        assert world.fetch(link["url"]).content == PDF_BYTES

        # An old upload URL for that key rewrote it (as the old code allowed).
        blobs.put(key, executable(len(PDF_BYTES)), "application/pdf")

        # Check it is no longer served: its checksum is not the one recorded.
        gone = world.download(owner, offering_id, rid)
        assert gone.status_code == 410, gone.text
        assert gone.headers["content-type"] == "application/problem+json"
