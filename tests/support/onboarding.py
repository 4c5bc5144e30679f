"""Builders for the onboarding tests: actors, profiles, offerings, file bytes, and
the onboarding application wired as the composition root wires it.

``profile()`` and ``offering()`` are request bodies (JSON); ``npo_profile()`` and
``offering_content()`` are the same data as the domain's values, for commands.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from commands.base import Actor, Command, CommandResult
from commands.dispatch import Dispatcher
from commands.onboarding.application import OnboardingApplication
from commands.onboarding.handlers import HANDLERS
from commands.onboarding.messages import CreateNpo
from domain.onboarding.errors import RegistrationIdTakenError
from domain.onboarding.offering_content import (
    ModuleKind,
    OfferingContent,
    OfferingDeadline,
    OfferingLink,
    OfferingLocation,
    OfferingModule,
)
from domain.onboarding.registration_claim import RegistrationClaim
from domain.onboarding.values import NpoContact, NpoLocation, NpoProfile
from ports.blobs import BlobStore

_counter = itertools.count(1)

PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20


ResultT = TypeVar("ResultT")


def user(*roles: str, user_id: str | None = None) -> Actor:
    return Actor(
        user_id=user_id or str(uuid4()),
        roles=frozenset(roles),
        correlation_id=f"corr-{next(_counter)}",
    )


def npo_user(user_id: str | None = None) -> Actor:
    return user("NPO", user_id=user_id)


def admin() -> Actor:
    return user("ADMIN")


def leader_user(user_id: str | None = None) -> Actor:
    return user("COMMUNITY_LEADER", user_id=user_id)


def profile(**overrides: Any) -> dict[str, Any]:
    """A profile with a name and a registration id of its own (an id identifies
    one NPO)."""
    number = next(_counter)
    base: dict[str, Any] = {
        "name": f"Helping Hands {number}",
        "description": "Career help for everyone.",
        "registration_id": f"EIN-12-{number:07d}",
        "website": "https://helping-hands.example",
        "location": {
            "address": "1 Main St",
            "region": "Bay Area",
            "country": "us",
            "latitude": 37.77,
            "longitude": -122.42,
        },
        "contact": {"email": "hello@helping-hands.example", "phone": "+14155550100"},
        "service_areas": ["Resume Writing", "interview prep"],
    }
    base.update(overrides)
    return base


def offering(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "title": "Resume clinic",
        "summary": "One-to-one resume reviews.",
        "categories": ["resume_writing"],
        "tags": ["Resumes", "career-change"],
        "description_html": "<p>Bring your <strong>CV</strong>.</p>"
        "<script>alert(1)</script><img src=x onerror=alert(1)>",
        "links": [{"title": "Register", "url": "https://helping-hands.example/r"}],
        "deadlines": [{"title": "Apply by", "due": "2027-01-31"}],
        "modules": [
            {"id": "m1", "kind": "assignment", "title": "Draft your resume"},
            {
                "id": "m2",
                "kind": "link",
                "title": "Watch",
                "url": "https://video.example/1",
            },
        ],
        "location": {"region": "Bay Area", "remote": True},
        "eligibility": "Anyone looking for work.",
        "attributes": {"language": "en", "seats": 12},
    }
    base.update(overrides)
    return base


def npo_profile(**overrides: Any) -> NpoProfile:
    """``profile(**overrides)``, checked by the domain as the API checks a body."""
    return profile_of(profile(**overrides))


def offering_content(**overrides: Any) -> OfferingContent:
    """``offering(**overrides)``, checked by the domain as the API checks a body."""
    return content_of(offering(**overrides))


def profile_of(fields: Mapping[str, Any]) -> NpoProfile:
    location = fields.get("location") or {}
    contact = fields.get("contact") or {}
    return NpoProfile.of(
        name=fields["name"],
        description=fields.get("description"),
        registration_id=fields["registration_id"],
        website=fields.get("website"),
        location=NpoLocation(
            region=location.get("region", ""),
            address=location.get("address"),
            country=location.get("country"),
            latitude=location.get("latitude"),
            longitude=location.get("longitude"),
        ),
        contact=NpoContact(email=contact.get("email"), phone=contact.get("phone")),
        service_areas=fields.get("service_areas") or (),
    )


def content_of(fields: Mapping[str, Any]) -> OfferingContent:
    location = fields.get("location") or {}
    return OfferingContent.of(
        title=fields["title"],
        summary=fields.get("summary"),
        categories=fields.get("categories") or (),
        tags=fields.get("tags") or (),
        description_html=fields.get("description_html") or "",
        links=[OfferingLink(**link) for link in fields.get("links") or ()],
        deadlines=[OfferingDeadline(**d) for d in fields.get("deadlines") or ()],
        modules=[
            OfferingModule(
                id=m.get("id") or "",
                kind=ModuleKind(m["kind"]),
                title=m["title"],
                description=m.get("description"),
                url=m.get("url"),
                resource_id=m.get("resource_id"),
            )
            for m in fields.get("modules") or ()
        ],
        location=OfferingLocation(
            region=location.get("region"),
            address=location.get("address"),
            remote=location.get("remote", False),
            country=location.get("country"),
        ),
        eligibility=fields.get("eligibility"),
        attributes=fields.get("attributes") or {},
    )


class KnownUsers:
    """A user directory (``commands.onboarding.ports.UserDirectory``) that knows the
    users a test names, with their roles."""

    def __init__(self) -> None:
        self.roles: dict[str, frozenset[str]] = {}

    def add(self, user_id: str, *roles: str) -> str:
        self.roles[user_id] = frozenset(roles)
        return user_id

    def roles_of(self, user_id: str) -> frozenset[str] | None:
        return self.roles.get(user_id)


class Onboarding:
    """An onboarding application with what the composition root gives it (a user
    directory, a file store) and a dispatcher over its handlers."""

    def __init__(
        self, app: OnboardingApplication, blobs: BlobStore | None = None
    ) -> None:
        self.app = app
        self.users = KnownUsers()
        app.users = self.users
        app.blobs = blobs
        self.dispatcher = Dispatcher({app.name: app}, [HANDLERS])

    def send(self, command: Command[ResultT]) -> ResultT:
        return self.dispatcher.dispatch(command)

    def leader(self, user_id: str) -> str:
        """A user the directory knows to hold the COMMUNITY_LEADER role."""
        return self.users.add(user_id, "COMMUNITY_LEADER")

    def npo_member(self, actor: Actor) -> str:
        """``actor``, known to the directory with their roles."""
        return self.users.add(actor.user_id, *actor.roles)


# --- Creations at once ---------------------------------------------------------------


@dataclass
class Creations:
    """What concurrent ``CreateNpo`` commands came to."""

    created: list[str] = field(default_factory=list)  # the NPOs' ids
    refused: list[RegistrationIdTakenError] = field(default_factory=list)
    failed: list[BaseException] = field(default_factory=list)  # anything else
    stale_writes: int = 0  # saves the event store turned away (decided again)

    @staticmethod
    def registered(app: OnboardingApplication) -> list[str]:
        """Every NPO the log records as created, in order."""
        found: list[str] = []
        start = 1
        while batch := app.recorder.select_notifications(start=start, limit=500):
            found.extend(
                str(n.originator_id)
                for n in batch
                if n.topic.endswith(":Npo.Registered")
            )
            start = batch[-1].id + 1
        return found

    @staticmethod
    def holder(app: OnboardingApplication, registration_id: str) -> str | None:
        """The NPO holding the id's claim (None: nobody does, or nobody did)."""
        try:
            claim: object = app.repository.get(
                RegistrationClaim.id_for(registration_id)
            )
        except AggregateNotFoundError:
            return None
        assert isinstance(claim, RegistrationClaim)
        return None if claim.holder is None else str(claim.holder)


def create_at_once(
    apps: Sequence[OnboardingApplication],
    senders: Sequence[Callable[[CreateNpo], CommandResult]],
    requests: Sequence[tuple[Actor, Mapping[str, Any]]],
) -> Creations:
    """Send one ``CreateNpo`` per (owner, profile body), each from its own thread;
    thread ``i`` sends through ``senders[i % len]``, one of ``apps``.

    Every thread decides before any saves: each first save waits until all have
    got that far, so every creation decides on the same store (where nobody holds
    the id) and they race to save.
    """
    outcome = Creations()
    decided = threading.Barrier(len(requests))
    first_save = threading.local()
    lock = threading.Lock()

    def together(
        save: Callable[..., CommandResult],
    ) -> Callable[..., CommandResult]:
        def save_when_all_decided(*aggregates: Any) -> CommandResult:
            if not getattr(first_save, "done", False):
                first_save.done = True
                decided.wait(60)
            try:
                return save(*aggregates)
            except IntegrityError:
                with lock:
                    outcome.stale_writes += 1
                raise

        return save_when_all_decided

    saves = [app.save_changes for app in apps]
    for app, save in zip(apps, saves, strict=True):
        app.save_changes = together(save)  # type: ignore[method-assign]

    def create(index: int) -> None:
        owner, body = requests[index]
        command = CreateNpo(actor=owner, profile=profile_of(body))
        try:
            result = senders[index % len(senders)](command)
        except RegistrationIdTakenError as refusal:
            with lock:
                outcome.refused.append(refusal)
        except BaseException as error:  # noqa: BLE001 - reported to the test
            with lock:
                outcome.failed.append(error)
        else:
            with lock:
                outcome.created.append(result.ids[0])

    threads = [threading.Thread(target=create, args=(i,)) for i in range(len(requests))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        for app, save in zip(apps, saves, strict=True):
            app.save_changes = save  # type: ignore[method-assign]
    return outcome
